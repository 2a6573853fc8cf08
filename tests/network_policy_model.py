"""What networking.k8s.io/v1 NetworkPolicies allow: a small evaluator over rendered manifests.

No network plugin enforces policies on the local test cluster, so their effect is
computed here, following https://kubernetes.io/docs/concepts/services-networking/network-policies/:
- A pod is isolated for ingress (egress) when some policy in its namespace selects
  it (`podSelector`; `{}` selects every pod) and has that type in `policyTypes`,
  which defaults to Ingress, plus Egress when the policy has egress rules.
- Policies are additive: an isolated pod accepts (sends) what any selecting policy
  of that type allows, OR across policies, rules and peers. A connection needs both
  the source's egress and the destination's ingress to allow it.
- A peer with `podSelector` alone means pods in the policy's own namespace,
  `namespaceSelector` alone every pod in the matching namespaces, both together the
  pods matching both (AND). A rule with no `from`/`to` matches every peer, and one
  with no `ports` every port. A port's protocol defaults to TCP; `endPort` makes a
  range; a named port means the destination pod's container port of that name (the
  selected pod for ingress, the peer for egress).
- Namespaces carry `kubernetes.io/metadata.name: <name>` (set by the API server).

Left out on purpose. `ipBlock` is matched only by external addresses, never by a
pod: the docs say it is meant for cluster-external IPs and leave pod IPs inside a
block to the plugin (the stack's any-address rules also except the private ranges
pod IPs come from, so a plugin would agree). Also left out: traffic from the pod's
own node (always allowed, e.g. kubelet probes), loopback, Services (flows name the
pod behind them, as the plugin sees them after DNAT), replies to an allowed
connection, and a container port's own protocol (a named port matches by name).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Pod:
    """A pod endpoint: where it runs, its labels, and its container ports by name."""

    name: str
    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)
    namespace_labels: Mapping[str, str] = field(default_factory=dict)

    def all_namespace_labels(self) -> dict[str, str]:
        return {**self.namespace_labels, NAMESPACE_NAME_LABEL: self.namespace}


@dataclass(frozen=True)
class External:
    """An address outside the cluster's pods (the internet, the VNet, instance metadata)."""

    address: str

    @property
    def name(self) -> str:
        return self.address


Endpoint = Union[Pod, External]


def selector_matches(selector: Optional[Mapping[str, Any]], labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector: matchLabels and every matchExpression must hold; `{}` matches everything."""
    selector = selector or {}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        holds = {"In": present and labels.get(key) in values,
                 "NotIn": not present or labels.get(key) not in values,
                 "Exists": present,
                 "DoesNotExist": not present}.get(operator)
        if holds is None:
            raise ValueError(f"label selector operator {operator!r} is not one of In, NotIn, Exists, DoesNotExist")
        if not holds:
            return False
    return True


def policy_types(spec: Mapping[str, Any]) -> list[str]:
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _peer_matches(peer: Mapping[str, Any], policy_namespace: str, endpoint: Endpoint) -> bool:
    if "ipBlock" in peer:
        if not isinstance(endpoint, External):
            return False
        address = ipaddress.ip_address(endpoint.address)
        block = peer["ipBlock"]
        return (address in ipaddress.ip_network(block["cidr"])
                and not any(address in ipaddress.ip_network(cidr) for cidr in block.get("except") or []))
    if not isinstance(endpoint, Pod):
        return False
    if "namespaceSelector" in peer:
        namespace_ok = selector_matches(peer["namespaceSelector"], endpoint.all_namespace_labels())
    else:
        namespace_ok = endpoint.namespace == policy_namespace
    return namespace_ok and ("podSelector" not in peer or selector_matches(peer["podSelector"], endpoint.labels))


def _port_matches(rule_port: Mapping[str, Any], destination: Endpoint, protocol: str, port: int) -> bool:
    if rule_port.get("protocol", "TCP") != protocol:
        return False
    wanted = rule_port.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return isinstance(destination, Pod) and destination.ports.get(wanted) == port
    return wanted <= port <= rule_port.get("endPort", wanted)


def _rule_matches(rule: Mapping[str, Any], peers_key: str, policy_namespace: str, peer: Endpoint,
                  destination: Endpoint, protocol: str, port: int) -> bool:
    peers = rule.get(peers_key) or []
    ports = rule.get("ports") or []
    return ((not peers or any(_peer_matches(candidate, policy_namespace, peer) for candidate in peers))
            and (not ports or any(_port_matches(p, destination, protocol, port) for p in ports)))


def _side_allows(policies: list[Mapping[str, Any]], pod: Pod, direction: str, peer: Endpoint,
                 destination: Endpoint, protocol: str, port: int) -> bool:
    """Whether `pod`'s own policies let the connection through in `direction` (Ingress or Egress)."""
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    isolated = False
    for policy in policies:
        spec = policy["spec"]
        if (policy["metadata"]["namespace"] != pod.namespace or direction not in policy_types(spec)
                or not selector_matches(spec.get("podSelector"), pod.labels)):
            continue
        isolated = True
        if any(_rule_matches(rule, peers_key, pod.namespace, peer, destination, protocol, port)
               for rule in spec.get(rules_key) or []):
            return True
    return not isolated


def flow_allowed(policies: list[Mapping[str, Any]], source: Endpoint, destination: Endpoint, port: int,
                 protocol: str = "TCP") -> bool:
    """Whether a connection from `source` to `destination` on `protocol`/`port` gets through.

    Only a pod has policies: an external address's side is always open.
    """
    egress = (not isinstance(source, Pod)
              or _side_allows(policies, source, "Egress", destination, destination, protocol, port))
    ingress = (not isinstance(destination, Pod)
               or _side_allows(policies, destination, "Ingress", source, destination, protocol, port))
    return egress and ingress

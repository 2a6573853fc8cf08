"""Network isolation by default: every owned namespace denies all traffic, and the allows are derived.

Kubernetes lets every pod reach every other pod and the internet until a
NetworkPolicy selects it. Here each namespace the stack owns gets
`default-deny` (ingress and egress, every pod), and every allow comes from
something the config already says, never from a hand-written policy:
- DNS: every pod may ask the cluster DNS (`network.dns`), UDP and TCP 53;
- routes: the pods of a routed workload (and a forward-auth service) accept
  its port from the namespaces where the ingress data plane runs: ingress-nginx's
  controller (`network.ingressNginxNamespace`), Envoy Gateway's proxies
  (`network.gatewayDataPlaneNamespace`), per `routing.implementation`;
- `talksTo`: a workload that calls another service gets an egress allow to
  that service's pods and port, and the callee an ingress allow from exactly
  the caller's pods and its migration pods (memQL's mesh, identity's JWKS);
- `egress`: what a workload reaches outside the cluster, as CIDRs and ports,
  named. NetworkPolicy cannot match host names, so a rule's `hosts` are
  recorded (annotation) and its `cidrs` enforced. A CIDR covering any address
  (`0.0.0.0/0`, `::/0`) never includes the private ranges or the instance
  metadata address, and in prod it needs `allowAnyAddress: <reason>` on the
  rule.

Pods someone else deploys into an owned namespace would be cut off by its
default deny; `namespaces.<name>.unmanagedPods` names them, with the reason,
and they keep all their traffic until they have policies of their own.

The operators that sync secrets (VSO, ESO) run in their own namespaces and
call Vault and Key Vault themselves; the pods here need nothing from them and
they need nothing from the pods, so no allow exists for them. A migration
Job's pods share the workload's egress (`<name>-migrate` pods), since the
step reaches the same database.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Optional

import pulumi

from config_models.network import ANY_ADDRESS, EgressRuleSpec
from config_models.routing import parse_cluster_local_url
from config_models.stack import StackConfig
from config_models.workloads.workload import selector_labels

# Never reachable through an "internet" allow: the private ranges (the cluster,
# the VNet), the instance metadata service, whose tokens are the node's, and
# Azure's WireServer.
NOT_INTERNET_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
                   # Azure's WireServer: a public address that only the host platform should talk to.
                   "168.63.129.16/32"]
NOT_INTERNET_V6 = ["fc00::/7", "fe80::/10"]
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
BACKUP_EGRESS_REASON = ("Azure Blob Storage and Entra ID publish no per-account address range a NetworkPolicy "
                        "can name; a private endpoint for the storage account would narrow this")
# cert-manager's HTTP-01 solver pods: their label and port (cert-manager's defaults).
ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
ACME_SOLVER_PORT = 8089


def _namespace_peer(namespace: str, pod_labels: Optional[dict[str, str]] = None) -> dict[str, Any]:
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}
    if pod_labels is not None:
        peer["podSelector"] = {"matchLabels": dict(pod_labels)}
    return peer


def _ip_peers(rule: EgressRuleSpec) -> list[dict[str, Any]]:
    if rule.namespace is not None:
        return [_namespace_peer(rule.namespace, rule.pod_labels)]
    peers = []
    for cidr in rule.cidrs or []:
        network = ipaddress.ip_network(cidr)
        block: dict[str, Any] = {"cidr": cidr}
        if network in ANY_ADDRESS:
            block["except"] = NOT_INTERNET_V4 if network.version == 4 else NOT_INTERNET_V6
        peers.append({"ipBlock": block})
    return peers


def _policy(name: str, namespace: str, labels: dict[str, str], spec: dict[str, Any],
            annotations: Optional[dict[str, str]] = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata, "spec": spec}


def _workload_pods(name: str, with_migration: bool) -> dict[str, Any]:
    if not with_migration:
        return {"matchLabels": selector_labels(name)}
    return {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In",
                                  "values": [name, f"{name}-migrate"]}]}


def ingress_sources(config: StackConfig) -> list[dict[str, Any]]:
    """The peers the ingress data plane runs as, per configured implementation."""
    implementations = config.routing.implementation if config.routing is not None else []
    peers = []
    # Namespace and pod labels together: the controller's pods only, not whatever else runs beside them.
    if "ingressNginx" in implementations:
        peers.append(_namespace_peer(config.network.ingress_nginx_namespace, config.network.ingress_nginx_pod_labels))
    if "gatewayApi" in implementations:
        peers.append(_namespace_peer(config.network.gateway_data_plane_namespace,
                                     config.network.gateway_data_plane_pod_labels))
    return peers


def build_network_policies(config: StackConfig, labels: dict[str, str]) -> list[dict[str, Any]]:
    policies: list[dict[str, Any]] = []
    dns = config.network.dns
    for namespace in sorted(config.namespaces):
        policies.append(_policy("default-deny", namespace, labels, {
            "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}))
        policies.append(_policy("allow-dns", namespace, labels, {
            "podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [_namespace_peer(dns.namespace, dns.pod_labels)],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}))
        for index, unmanaged in enumerate(config.namespaces[namespace].unmanaged_pods):
            policies.append(_policy(f"allow-unmanaged-{index}", namespace, labels, {
                "podSelector": {"matchLabels": dict(unmanaged.pod_labels)}, "policyTypes": ["Ingress", "Egress"],
                "ingress": [{}], "egress": [{}]}, {"platform/unmanaged-reason": unmanaged.reason}))

    edge_peers = ingress_sources(config)
    if config.routing is not None and config.routing.tls is not None and config.routing.edge_namespace and edge_peers:
        # cert-manager answers HTTP-01 challenges from solver pods it starts in the
        # Certificate's namespace; the ingress data plane must reach them, or no
        # certificate is ever issued or renewed.
        policies.append(_policy("allow-acme-http01-solver", config.routing.edge_namespace, labels, {
            "podSelector": {"matchLabels": {ACME_SOLVER_LABEL: "true"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": edge_peers, "ports": [{"protocol": "TCP", "port": ACME_SOLVER_PORT}]}]}))

    # (workload name, port name) -> the ingress peers it accepts there.
    ingress: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if config.routing is not None and edge_peers:
        for route in config.routing.routes.values():
            ingress.setdefault((route.service, route.port), []).extend(edge_peers)
            auth = route.forward_auth
            if auth is not None:
                try:
                    service, namespace, port, _ = parse_cluster_local_url(auth.url)
                except ValueError:
                    continue
                callee = config.services.get(service)
                if callee is not None and callee.namespace == namespace:
                    port_name = next((p.name for p in callee.ports if p.container_port == port), None)
                    if port_name is not None:
                        ingress.setdefault((service, port_name), []).extend(edge_peers)
    for name, service in sorted(config.services.items()):
        for target in service.talks_to:
            # The caller's migration pods share its egress (below), so the callee admits them too:
            # an allow on one side only is a connection that never flows.
            peer = _namespace_peer(service.namespace)
            peer["podSelector"] = _workload_pods(name, service.release_migration() is not None)
            ingress.setdefault((target.service, target.port), []).append(peer)

    for name, service in sorted(config.services.items()):
        rules = []
        for (callee, port_name), peers in sorted(ingress.items(), key=lambda item: item[0]):
            if callee != name:
                continue
            unique = [peer for index, peer in enumerate(peers) if peer not in peers[:index]]
            rules.append({"from": unique, "ports": [{"protocol": "TCP", "port": port_name}]})
        if rules:
            policies.append(_policy(f"{name}-ingress", service.namespace, labels, {
                "podSelector": {"matchLabels": selector_labels(name)}, "policyTypes": ["Ingress"],
                "ingress": rules}))
        egress = []
        for target in service.talks_to:
            callee = config.services[target.service]
            egress.append({"to": [_namespace_peer(callee.namespace, selector_labels(target.service))],
                           "ports": [{"protocol": "TCP", "port": target.port}]})
        annotations = {}
        rules = list(service.egress)
        if service.backup() is not None:
            # Derived: the Litestream sidecar writes to Azure Blob and trades its token at Entra ID.
            rules.append(EgressRuleSpec(name="backup", cidrs=["0.0.0.0/0"], ports=[443],
                                        hosts=["<account>.blob.core.windows.net", "login.microsoftonline.com"],
                                        allow_any_address=BACKUP_EGRESS_REASON))
        for rule in rules:
            egress.append({"to": _ip_peers(rule),
                           "ports": [{"protocol": rule.protocol, "port": port} for port in rule.ports]})
            if rule.hosts:
                annotations[f"platform/egress-{rule.name}"] = ",".join(rule.hosts)
            if rule.allow_any_address:
                annotations[f"platform/egress-{rule.name}-any-address"] = rule.allow_any_address
        if egress:
            policies.append(_policy(
                f"{name}-egress", service.namespace, labels, {
                    "podSelector": _workload_pods(name, service.release_migration() is not None),
                    "policyTypes": ["Egress"], "egress": egress},
                dict(sorted(annotations.items()))))
    return policies


class NetworkIsolation(pulumi.ComponentResource):
    """The stack's NetworkPolicies: default deny per namespace, and the derived allows."""

    def __init__(self, name: str, config: StackConfig, labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:NetworkIsolation", name, None, opts)
        import pulumi_kubernetes as k8s

        for policy in build_network_policies(config, labels):
            meta = policy["metadata"]
            k8s.networking.v1.NetworkPolicy(
                f"{meta['namespace']}-{meta['name']}", metadata=meta, spec=policy["spec"],
                opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})

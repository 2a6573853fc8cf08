"""The rendered NetworkPolicies against a table of flows that must be allowed or blocked.

No network plugin enforces policies on the local test cluster, so
`network_policy_model` evaluates them: first on tiny hand-written policies (one
semantic rule per test), then on both rendered stacks. The endpoints are the pods
of the rendered workloads (Deployment, StatefulSet, DaemonSet, Job and CronJob pod
templates, named by their `app.kubernetes.io/name` label, on the labels of their
rendered Namespace) plus the fixed ones the stack talks to but does not deploy:
the ingress data planes, CoreDNS, tuwunel, OpenSearch, a pod in an unrelated
namespace, and addresses outside the cluster.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from network_policy_model import External, Pod, flow_allowed, policy_types, selector_matches

STACKS = ["staging", "prod"]


# ---- the evaluator itself, on tiny hand-written policies -------------------------------------------------------

def _policy(namespace: str, spec: dict) -> dict:
    return {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": namespace}, "spec": spec}


WEB = Pod("web", "shop", {"app": "web"}, {"http": 8080})
API = Pod("api", "shop", {"app": "api"}, {"http": 9090, "metrics": 9100})
MONITOR = Pod("monitor", "ops", {"app": "monitor"}, namespace_labels={"team": "ops"})
STRANGER = Pod("stranger", "ops", {"app": "stranger"}, namespace_labels={"team": "ops"})
INTERNET = External("203.0.113.10")
PRIVATE = External("10.1.2.3")
DENY_ALL = _policy("shop", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def test_without_policies_everything_is_allowed():
    assert flow_allowed([], WEB, API, 9090) and flow_allowed([], WEB, INTERNET, 443)
    assert flow_allowed([], INTERNET, WEB, 8080, "UDP")


def test_a_selecting_policy_isolates_only_its_types_pods_and_namespace():
    ingress_only = _policy("shop", {"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"]})
    assert not flow_allowed([ingress_only], WEB, API, 9090)
    assert flow_allowed([ingress_only], API, WEB, 8080), "api's egress and web's ingress are not isolated"
    assert flow_allowed([ingress_only], MONITOR, WEB, 8080), "web is not selected"
    elsewhere = _policy("ops", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    assert flow_allowed([elsewhere], WEB, API, 9090), "a policy isolates pods of its own namespace only"


def test_a_connection_needs_the_source_egress_and_the_destination_ingress():
    api_accepts_web = _policy("shop", {"podSelector": {"matchLabels": {"app": "api"}},
                                       "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]})
    assert not flow_allowed([DENY_ALL, api_accepts_web], WEB, API, 9090), "web's egress is still denied"
    web_calls_api = _policy("shop", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                                     "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "api"}}}]}]})
    assert not flow_allowed([DENY_ALL, web_calls_api], WEB, API, 9090), "api's ingress is still denied"
    assert flow_allowed([DENY_ALL, api_accepts_web, web_calls_api], WEB, API, 9090)


def test_policies_rules_and_peers_add_up():
    from_web = _policy("shop", {"podSelector": {"matchLabels": {"app": "api"}},
                                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]})
    from_ops = _policy("shop", {"podSelector": {"matchLabels": {"app": "api"}},
                                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}}]}]})
    assert flow_allowed([from_web, from_ops], WEB, API, 9090)
    assert flow_allowed([from_web, from_ops], MONITOR, API, 9090)
    assert not flow_allowed([from_web], MONITOR, API, 9090)


def test_pod_and_namespace_selectors_in_one_peer_must_both_match():
    both = {"namespaceSelector": {"matchLabels": {"team": "ops"}}, "podSelector": {"matchLabels": {"app": "monitor"}}}
    one_peer = _policy("shop", {"podSelector": {}, "ingress": [{"from": [both]}]})
    assert flow_allowed([one_peer], MONITOR, API, 9090)
    assert not flow_allowed([one_peer], STRANGER, API, 9090), "right namespace, wrong pod"
    assert not flow_allowed([one_peer], Pod("x", "shop", {"app": "monitor"}), API, 9090), "right pod, wrong namespace"
    two_peers = _policy("shop", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": both["namespaceSelector"]}, {"podSelector": both["podSelector"]}]}]})
    assert flow_allowed([two_peers], STRANGER, API, 9090), "separate peers are OR"


def test_a_pod_selector_alone_means_the_policy_namespace_and_the_name_label_selects_a_namespace():
    same_namespace = _policy("shop", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})
    assert flow_allowed([same_namespace], WEB, API, 9090)
    assert not flow_allowed([same_namespace], MONITOR, API, 9090)
    by_name = _policy("shop", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ops"}}}]}]})
    assert flow_allowed([by_name], MONITOR, API, 9090) and not flow_allowed([by_name], WEB, API, 9090)


def test_a_named_port_resolves_against_the_destination_pod():
    ingress = _policy("shop", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]})
    assert flow_allowed([ingress], MONITOR, API, 9090)
    assert not flow_allowed([ingress], MONITOR, API, 8080), "8080 is web's http, not api's"
    egress = _policy("shop", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                              "egress": [{"ports": [{"port": "http"}]}]})
    assert flow_allowed([egress], WEB, API, 9090), "the peer's http, not the source's"
    assert not flow_allowed([egress], WEB, API, 8080)
    assert not flow_allowed([egress], WEB, INTERNET, 8080), "an address has no named ports"


def test_port_ranges_protocols_and_empty_rules():
    ranged = _policy("shop", {"podSelector": {}, "ingress": [{"ports": [{"port": 9000, "endPort": 9100}]}]})
    assert flow_allowed([ranged], MONITOR, API, 9100) and not flow_allowed([ranged], MONITOR, API, 9101)
    tcp_default = _policy("shop", {"podSelector": {}, "ingress": [{"ports": [{"port": 9090}]}]})
    assert flow_allowed([tcp_default], MONITOR, API, 9090)
    assert not flow_allowed([tcp_default], MONITOR, API, 9090, "UDP"), "protocol defaults to TCP"
    any_udp = _policy("shop", {"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]})
    assert flow_allowed([any_udp], MONITOR, API, 5353, "UDP") and not flow_allowed([any_udp], MONITOR, API, 5353)
    everything = _policy("shop", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                                  "ingress": [{}], "egress": [{}]})
    assert flow_allowed([DENY_ALL, everything], INTERNET, WEB, 1, "UDP")
    assert flow_allowed([DENY_ALL, everything], WEB, PRIVATE, 65535)


def test_an_ip_block_matches_addresses_outside_its_excepts_and_never_a_pod():
    internet = _policy("shop", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "169.254.0.0/16"]}}], "ports": [{"port": 443}]}]})
    assert flow_allowed([internet], WEB, INTERNET, 443)
    assert not flow_allowed([internet], WEB, PRIVATE, 443)
    assert not flow_allowed([internet], WEB, External("169.254.169.254"), 443)
    assert not flow_allowed([internet], WEB, API, 443), "pods are not matched by ipBlock (module docstring)"
    from_block = _policy("shop", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
    assert flow_allowed([from_block], PRIVATE, WEB, 8080) and not flow_allowed([from_block], INTERNET, WEB, 8080)


def test_policy_types_default_to_ingress_plus_egress_when_egress_rules_exist():
    assert policy_types({"podSelector": {}}) == ["Ingress"]
    assert policy_types({"podSelector": {}, "egress": [{}]}) == ["Ingress", "Egress"]
    assert policy_types({"podSelector": {}, "egress": []}) == ["Ingress"]
    egress_rules = _policy("shop", {"podSelector": {}, "egress": [{"ports": [{"port": 443}]}]})
    assert not flow_allowed([egress_rules], WEB, INTERNET, 80), "the default makes it an egress policy"
    assert not flow_allowed([egress_rules], MONITOR, WEB, 8080), "and an ingress policy with no rules"
    ingress_only = _policy("shop", {"podSelector": {}, "policyTypes": ["Ingress"],
                                    "egress": [{"ports": [{"port": 443}]}]})
    assert flow_allowed([ingress_only], WEB, INTERNET, 80), "egress rules of an Ingress-only policy are ignored"


def test_label_selector_operators():
    labels = {"app": "api", "tier": "back"}
    assert selector_matches({}, labels) and selector_matches(None, {})
    assert selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["back", "x"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["back"]}]},
                                labels)
    assert selector_matches({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, labels)
    assert selector_matches({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels)
    assert not selector_matches({"matchLabels": {"app": "api"},
                                 "matchExpressions": [{"key": "zone", "operator": "Exists"}]}, labels)
    with pytest.raises(ValueError, match="'Gt' is not one of"):
        selector_matches({"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, labels)


# ---- the rendered stacks ---------------------------------------------------------------------------------------

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
ADDRESSES = {
    "internet": "203.0.113.10",  # TEST-NET-3: stands for any public address
    "instance-metadata": "169.254.169.254",
    "azure-wireserver": "168.63.129.16",  # Azure's platform address, public but not the internet
    "vnet": "10.1.2.3",
}


@dataclass(frozen=True)
class StackNetwork:
    policies: list[dict]
    owned_namespaces: dict[str, dict[str, str]]  # name -> labels of the rendered Namespace
    endpoints: dict[str, object]  # name -> Pod or External
    kinds: frozenset[str]


def _pod_template(document: dict) -> dict:
    spec = document["spec"]
    return (spec["jobTemplate"]["spec"] if document["kind"] == "CronJob" else spec)["template"]


def _container_ports(template: dict) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for container in template["spec"].get("containers", [])
            for port in container.get("ports") or [] if port.get("name")}


def load_stack_network(out: Path) -> StackNetwork:
    # Every .yaml file of a render is a Kubernetes object (its summaries are under .stackctl/, without suffix).
    documents = [document for path in sorted(out.rglob("*.yaml"))
                 for document in yaml.safe_load_all(path.read_text()) if document]
    namespaces = {document["metadata"]["name"]: document["metadata"].get("labels") or {}
                  for document in documents if document["kind"] == "Namespace"}

    def pod(name: str, namespace: str, labels: dict[str, str], ports: dict[str, int]) -> Pod:
        return Pod(name, namespace, labels, ports, namespaces.get(namespace, {}))

    endpoints: dict[str, object] = {name: External(address) for name, address in ADDRESSES.items()}
    for document in documents:
        if document["kind"] in WORKLOAD_KINDS:
            template = _pod_template(document)
            labels = template["metadata"]["labels"]
            name = labels["app.kubernetes.io/name"]
            assert name not in endpoints, f"two workloads' pods are named {name!r}"
            endpoints[name] = pod(name, document["metadata"]["namespace"], labels, _container_ports(template))
    fixed = [
        pod("ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx",
                                               "app.kubernetes.io/component": "controller"}, {"http": 80}),
        pod("envoy", "envoy-gateway-system", {"app.kubernetes.io/managed-by": "envoy-gateway",
                                               "app.kubernetes.io/component": "proxy"}, {"http": 10080}),
        pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53}),
        pod("metrics-server", "kube-system", {"k8s-app": "metrics-server"}, {"https": 443}),
        pod("tuwunel", "matrix", {"app.kubernetes.io/name": "tuwunel"}, {"http": 6167}),
        pod("opensearch", "data", {"app.kubernetes.io/name": "opensearch"}, {"http": 9200}),
        pod("other", "other", {"app.kubernetes.io/name": "other"}, {"http": 8080}),
    ]
    for endpoint in fixed:
        assert endpoint.name not in endpoints, f"fixed endpoint {endpoint.name!r} clashes with a rendered workload"
        endpoints[endpoint.name] = endpoint
    return StackNetwork([d for d in documents if d["kind"] == "NetworkPolicy"], namespaces, endpoints,
                        frozenset(d["kind"] for d in documents))


@pytest.fixture(scope="module")
def networks(rendered) -> dict[str, StackNetwork]:
    return {stack: load_stack_network(rendered[stack][1]) for stack in STACKS}


ANY_PORT = (22, 80, 443, 3000, 6167, 8080, 8085, 9200)  # a sample, for "on any port"


def flow(source: str, destination: str, port, allowed: bool, reason: str, protocol: str = "TCP"):
    """One row; `port` is a number, a container port name of the destination, or ANY_PORT."""
    shown = "any" if port == ANY_PORT else port
    return pytest.param(source, destination, port, protocol, allowed, reason,
                        id=f"{source}->{destination}:{protocol}/{shown}")


MEMQL_ROLES = ["memql-bff", "memql-cognition", "memql-voice", "memql-agent", "memql-planner", "memql-identity"]
MESH_WORKERS = ["memql-cognition", "memql-voice", "memql-agent", "memql-planner"]

FLOWS = [
    # The ingress controller reaches each routed port, and nothing else.
    flow("ingress-nginx", "forge", 3000, True, "route forge"),
    flow("ingress-nginx", "chat", 8080, True, "route chat, and its forward-auth check"),
    flow("ingress-nginx", "sol", ANY_PORT, False, "sol is not routed"),
    flow("ingress-nginx", "memql-bff", 8085, True, "route memql"),
    flow("ingress-nginx", "memql-bff", "mesh", False, "only the routed port"),
    flow("ingress-nginx", "memql-voice", "http", True, "route memql-audio"),
    flow("ingress-nginx", "memql-identity", "http", True, "route identity"),
    *[flow("ingress-nginx", role, port, False, "not routed")
      for role in ["memql-cognition", "memql-agent", "memql-planner"] for port in ("http", "mesh")],
    flow("ingress-nginx", "memql-identity-migrate", ANY_PORT, False, "a migration Job serves nothing"),
    flow("other", "forge", 3000, False, "only the ingress controller's namespace reaches a route"),
    flow("other", "chat", 8080, False, "only the ingress controller's namespace reaches a route"),
    flow("other", "memql-bff", "mesh", False, "the mesh accepts the BFF only"),
    flow("internet", "forge", 3000, False, "the outside comes in through the ingress controller only"),
    # Workloads reach each other only where talksTo says so.
    flow("chat", "sol", ANY_PORT, False, "chat declares no egress; sol accepts nothing"),
    flow("chat", "forge", 3000, False, "chat declares no egress to forge"),
    flow("forge", "chat", 8080, False, "forge declares no egress"),
    flow("sol", "forge", 3000, False, "sol's egress names the homeserver, search and the model API only"),
    flow("memql-bff", "sol", ANY_PORT, False, "sol accepts nothing"),
    *[flow("memql-bff", worker, "mesh", True, "the BFF is the mesh hub (talksTo)") for worker in MESH_WORKERS],
    flow("memql-bff", "memql-cognition", "http", False, "talksTo names the mesh port only"),
    flow("memql-cognition", "memql-bff", "mesh", False, "workers dial nobody"),
    flow("memql-planner", "memql-agent", "mesh", False, "workers dial nobody"),
    flow("memql-agent", "memql-planner", ANY_PORT, False, "workers dial nobody"),
    flow("memql-agent", "memql-identity", 8085, True, "JWKS (talksTo identity http)"),
    flow("memql-agent", "memql-identity", "mesh", False, "talksTo names identity's http port only"),
    *[flow(role, "memql-identity", "http", True, "JWKS (talksTo identity http)")
      for role in ["memql-bff", "memql-cognition", "memql-voice", "memql-planner"]],
    flow("memql-identity-migrate", "memql-identity", "http", False, "the migration reaches the database only"),
    # Cluster DNS, for every pod, on port 53 of the DNS pods only.
    flow("sol", "coredns", 53, True, "allow-dns", "UDP"),
    flow("sol", "coredns", 53, True, "allow-dns (TCP for large answers)"),
    flow("forge", "coredns", 53, True, "allow-dns", "UDP"),
    flow("chat", "coredns", 53, True, "allow-dns", "UDP"),
    flow("memql-identity-migrate", "coredns", 53, True, "allow-dns", "UDP"),
    flow("sol", "coredns", 80, False, "allow-dns opens port 53 only"),
    flow("sol", "metrics-server", 53, False, "allow-dns selects the DNS pods, not all of kube-system", "UDP"),
    flow("forge", "metrics-server", 443, False, "nothing opens kube-system"),
    flow("sol", "internet", 53, False, "names resolve through the cluster DNS only", "UDP"),
    # Sol's declared egress: the homeserver, search, the model API on 443.
    flow("sol", "tuwunel", 6167, True, "egress matrix-homeserver"),
    flow("sol", "tuwunel", 8448, False, "matrix-homeserver opens 6167 only"),
    flow("sol", "opensearch", 9200, True, "egress search"),
    flow("sol", "opensearch", 9300, False, "search opens 9200 only"),
    flow("sol", "internet", 443, True, "egress model-api (any public address)"),
    flow("sol", "internet", 80, False, "model-api opens 443 only"),
    flow("sol", "instance-metadata", 80, False, "the metadata address is never internet"),
    flow("sol", "instance-metadata", 443, False, "excepted from the any-address range, even on 443"),
    flow("sol", "vnet", 443, False, "private ranges are excepted from the any-address range"),
    flow("sol", "azure-wireserver", 80, False, "model-api opens 443 only"),
    flow("sol", "azure-wireserver", 32526, False, "model-api opens 443 only"),
    flow("forge", "internet", 443, True, "its Litestream sidecar reaches Azure Blob and Entra ID (derived from data.backup)"),
    flow("forge", "internet", 80, False, "only 443, for the backup"),
    flow("chat", "internet", 443, True, "its Litestream sidecar reaches Azure Blob and Entra ID (derived from data.backup)"),
    flow("chat", "internet", 80, False, "only 443, for the backup"),
    # memQL: the managed database on 5432 at any public address, nothing else outside.
    *[flow(role, "internet", 5432, True, "egress database") for role in MEMQL_ROLES],
    *[flow(role, "internet", 443, False, "database opens 5432 only") for role in MEMQL_ROLES],
    *[flow(role, "vnet", 5432, False, "private ranges are excepted") for role in MEMQL_ROLES],
    flow("memql-identity-migrate", "internet", 5432, True, "the migration shares identity's egress"),
    flow("memql-identity-migrate", "internet", 443, False, "database opens 5432 only"),
    # tuwunel is unmanaged: its own side is open both ways; the other side still decides.
    flow("tuwunel", "internet", 443, True, "unmanaged pods keep their traffic"),
    flow("tuwunel", "vnet", 5432, True, "unmanaged pods keep their traffic"),
    flow("tuwunel", "instance-metadata", 80, True, "unmanaged pods keep their traffic"),
    flow("tuwunel", "opensearch", 9200, True, "unmanaged pods keep their traffic"),
    flow("tuwunel", "coredns", 53, True, "unmanaged pods keep their traffic", "UDP"),
    flow("ingress-nginx", "tuwunel", 6167, True, "unmanaged pods keep their traffic"),
    flow("other", "tuwunel", 6167, True, "unmanaged pods keep their traffic"),
    flow("internet", "tuwunel", 8448, True, "unmanaged pods keep their traffic (federation)"),
    flow("tuwunel", "sol", ANY_PORT, False, "sol's own ingress is denied"),
    flow("tuwunel", "forge", 3000, False, "forge accepts the ingress controller only"),
    flow("chat", "tuwunel", 6167, False, "chat's own egress is denied"),
    # Namespaces the stack does not own are not isolated.
    flow("other", "opensearch", 9200, True, "data is not owned: no policy selects opensearch"),
    flow("opensearch", "sol", ANY_PORT, False, "sol accepts nothing"),
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("source,destination,port,protocol,allowed,reason", FLOWS)
def test_flow(networks, stack, source, destination, port, protocol, allowed, reason):
    network = networks[stack]
    source_endpoint, destination_endpoint = network.endpoints[source], network.endpoints[destination]
    if isinstance(port, str):
        assert port in destination_endpoint.ports, f"{stack}: {destination} has no port named {port!r}"
        port = destination_endpoint.ports[port]
    for number in port if isinstance(port, tuple) else (port,):
        outcome = flow_allowed(network.policies, source_endpoint, destination_endpoint, number, protocol)
        assert outcome == allowed, (f"{stack}: {source} -> {destination} {protocol}/{number} should be "
                                    f"{'allowed' if allowed else 'blocked'} ({reason}), the policies "
                                    f"{'allow' if outcome else 'block'} it")


@pytest.mark.parametrize("stack", STACKS)
def test_the_gateway_data_plane_reaches_routes_only_with_the_gateway_api(networks, stack):
    network = networks[stack]
    with_gateway = "HTTPRoute" in network.kinds
    envoy, forge, sol = (network.endpoints[name] for name in ("envoy", "forge", "sol"))
    assert flow_allowed(network.policies, envoy, forge, 3000) == with_gateway
    assert not flow_allowed(network.policies, envoy, sol, 8080)


@pytest.mark.parametrize("stack", STACKS)
def test_every_owned_namespace_denies_by_default(networks, stack):
    network = networks[stack]
    policies, endpoints = network.policies, network.endpoints
    assert network.owned_namespaces, f"{stack}: no Namespace rendered"
    for namespace, labels in sorted(network.owned_namespaces.items()):
        deny = [policy for policy in policies
                if policy["metadata"]["namespace"] == namespace and policy["metadata"]["name"] == "default-deny"]
        assert [p["spec"] for p in deny] == [{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}], \
            f"{stack}: namespace {namespace!r} must have default-deny for every pod, ingress and egress"
        probe = Pod("probe", namespace, {"app.kubernetes.io/name": "probe"}, {"http": 8080}, labels)
        neighbour = Pod("neighbour", namespace, {"app.kubernetes.io/name": "neighbour"}, {"http": 8080}, labels)
        for destination, port in [("internet", 443), ("internet", 80), ("vnet", 443), ("other", 8080)]:
            assert not flow_allowed(policies, probe, endpoints[destination], port), \
                f"{stack}: a new pod in {namespace!r} reaches {destination}:{port}"
        for source in ("ingress-nginx", "other", "internet"):
            assert not flow_allowed(policies, endpoints[source], probe, 8080), \
                f"{stack}: {source} reaches a new pod in {namespace!r}"
        assert not flow_allowed(policies, neighbour, probe, 8080), f"{stack}: pods in {namespace!r} reach each other"
        assert flow_allowed(policies, probe, endpoints["coredns"], 53, "UDP"), f"{stack}: {namespace!r} has no DNS"


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_pod_is_isolated_both_ways(networks, stack):
    network = networks[stack]
    pods = [e for e in network.endpoints.values() if isinstance(e, Pod) and e.namespace in network.owned_namespaces
            and e.name != "tuwunel"]
    assert {"sol", "forge", "chat", "memql-bff", "memql-identity-migrate"} <= {p.name for p in pods}
    for pod in pods:
        for port in ANY_PORT:
            assert not flow_allowed(network.policies, network.endpoints["other"], pod, port), \
                f"{stack}: a pod in another namespace reaches {pod.name}:{port}"
            assert not flow_allowed(network.policies, pod, network.endpoints["vnet"], port), \
                f"{stack}: {pod.name} reaches the VNet on {port}"
            assert not flow_allowed(network.policies, pod, network.endpoints["instance-metadata"], port), \
                f"{stack}: {pod.name} reaches instance metadata on {port}"

"""The references the stack config makes, resolved before the first resource is registered.

Each value checks on its own elsewhere; what it points at is checked here.
Every failure is one line: the key path, the value, what it refers to, and
the fix. The rules read workloads only through the facts every kind answers
(`workload_spec.WorkloadSpec`: namespace, claims, declared ports, the ports
its probes name, the ports its Service carries), so a new kind gets them
without an edit here.

| reference | must resolve to |
| --- | --- |
| `namespaces.<name>` | a namespace the cluster does not own |
| `routing.routes.*.forwardAuth.url` | a Service and port this stack renders, or `external: true` |
| `services.*.probes.*.port` (by name) | a port the container declares |
| `services.*.egress[*].namespace` | a namespace this stack does not own (else `talksTo`), or unmanaged pods there |
| `services.*` claims | exactly one writer per namespace/claim name |

Routes to services and ports, `talksTo` to services and ports, and Secrets to
their sources are resolved where those keys are modelled (`routing.check_routing`,
`network_isolation.check_network`, `secret_key_coverage`).
"""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import urlsplit

from config_models.routing import parse_cluster_local_url
from config_models.stack import StackConfig
from platform_facts.cluster_owned_namespaces import CLUSTER_OWNED_NAMESPACES


def cluster_owned_namespaces(config: StackConfig) -> dict[str, str]:
    """Namespace -> why the cluster, not this stack, owns it."""
    owned = {namespace: "created and used by Kubernetes itself" for namespace in CLUSTER_OWNED_NAMESPACES}
    owned.setdefault(config.network.dns.namespace, "the cluster DNS runs there (network.dns.namespace)")
    owned.setdefault(config.network.ingress_nginx_namespace,
                     "the ingress-nginx controller runs there (network.ingressNginxNamespace)")
    owned.setdefault(config.network.gateway_data_plane_namespace,
                     "Envoy Gateway's proxies run there (network.gatewayDataPlaneNamespace)")
    return owned


def check_cluster_owned_namespaces(config: StackConfig) -> list[str]:
    owned = cluster_owned_namespaces(config)
    return [f"namespaces.{namespace}: {namespace!r} is owned by the cluster ({owned[namespace]}); a stack that owns "
            "it puts a default deny and the restricted Pod Security level on it, which cuts off or stops the "
            "system pods there (remove it from namespaces and deploy into a namespace of your own)"
            for namespace in sorted(config.namespaces) if namespace in owned]


_IN_CLUSTER_HOST = re.compile(r"^[^.]+$|\.svc$|\.svc\.cluster\.local$|\.cluster\.local$")


def _service_port_numbers(service) -> dict[int, str]:
    return {port.container_port: port.name for port in getattr(service, "ports", []) if port.in_service}


def forward_auth_problem(key: str, url: str, external: bool, config: StackConfig) -> Optional[str]:
    """Why `url` does not resolve to a Service and port this stack renders (None when it does)."""

    host = urlsplit(url).hostname or ""
    try:
        service_name, namespace, port, _ = parse_cluster_local_url(url)
    except ValueError:
        # `<service>.<namespace>` resolves in the cluster too, through the pods' DNS search path.
        in_cluster = _IN_CLUSTER_HOST.search(host) or host.rpartition(".")[2] in config.namespaces
        if in_cluster and not external:
            return (f"{key}: {url!r} names the in-cluster host {host!r} but is not of the form "
                    "http://<service>.<namespace>.svc.cluster.local:<port>/<path> (write the Service's full "
                    "name and its port number)")
        if not external:
            return (f"{key}: {url!r} is outside the cluster, which this stack cannot check (point it at a "
                    "Service this stack renders, or declare it with forwardAuth.external: true)")
        return None
    service = config.services.get(service_name)
    if service is None or service.namespace != namespace:
        if external:
            return None
        in_namespace = sorted(name for name, spec in config.services.items() if spec.namespace == namespace)
        return (f"{key}: {url!r} refers to Service {service_name!r} in namespace {namespace!r}, which this stack "
                f"does not render (services in {namespace!r}: {in_namespace or 'none'}; point it at one of them, "
                "or declare an auth service outside this stack with forwardAuth.external: true)")
    ports = _service_port_numbers(service)
    if port not in ports:
        return (f"{key}: {url!r} refers to port {port} of Service {service_name!r}, which the Service does not "
                f"carry (ports: {sorted(ports) or 'none'}; use one of them, or add it under "
                f"services.{service_name}.ports)")
    if external:
        return (f"{key}: {url!r} refers to Service {service_name!r}, which this stack renders; remove "
                "forwardAuth.external (it is for auth services outside this stack)")
    return None


def check_forward_auth(config: StackConfig) -> list[str]:

    if config.routing is None:
        return []
    problems = []
    for name, route in sorted(config.routing.routes.items()):
        auth = route.forward_auth
        if auth is None:
            continue
        key = f"routing.routes.{name}.forwardAuth.url"
        problem = forward_auth_problem(key, auth.url, auth.external, config)
        if problem is not None:
            problems.append(problem)
        elif auth.external and "gatewayApi" in config.routing.implementation:
            try:
                _, namespace, _, _ = parse_cluster_local_url(auth.url)
            except ValueError:
                continue  # check_routing refuses a URL Envoy Gateway cannot call
            if namespace not in config.namespaces:
                problems.append(
                    f"{key}: {auth.url!r} refers to a Service in namespace {namespace!r}, which this stack does not "
                    "own; under routing.implementation gatewayApi the SecurityPolicy needs a ReferenceGrant there, "
                    "which only that namespace's owner can create (serve the auth service from a namespace this "
                    "stack owns, or route with ingressNginx)")
    return problems


def check_probe_ports(config: StackConfig) -> list[str]:
    problems = []
    for name, service in sorted(config.services.items()):
        declared = service.declared_port_names()
        for key, port in service.probe_port_references(name):
            if isinstance(port, str) and port not in declared:
                problems.append(f"{key}: {port!r} is not a port the container declares (ports: "
                                f"{declared or 'none'}; name one of them, or add it under services.{name}.ports)")
    return problems


def _selects_unmanaged_pods(rule, namespace_spec) -> bool:
    if rule.pod_labels is None:
        return False
    return any(all(rule.pod_labels.get(label) == value for label, value in unmanaged.pod_labels.items())
               for unmanaged in namespace_spec.unmanaged_pods)


def check_egress_namespaces(config: StackConfig) -> list[str]:
    problems = []
    for name, service in sorted(config.services.items()):
        for index, rule in enumerate(service.egress):
            if rule.namespace is None or rule.namespace not in config.namespaces:
                continue
            if _selects_unmanaged_pods(rule, config.namespaces[rule.namespace]):
                continue  # pods someone else runs there keep all their traffic (namespaces.*.unmanagedPods)
            there = sorted(other for other, spec in config.services.items() if spec.namespace == rule.namespace)
            problems.append(
                f"services.{name}.egress[{index}].namespace: {rule.namespace!r} is a namespace this stack owns, "
                "whose default deny refuses this traffic at the other end (use talksTo: {service: <name>, port: "
                f"<port>}} for a workload there ({there or 'none'}), which allows both ends; or declare the pods "
                f"under namespaces.{rule.namespace}.unmanagedPods)")
    return problems


def check_claim_writers(config: StackConfig) -> list[str]:
    problems = []
    writers: dict[tuple[str, str], str] = {}
    for name, service in sorted(config.services.items()):
        for key, volume in service.claim_keys(name):
            target = (service.namespace, volume.claim_name)
            if target in writers:
                problems.append(
                    f"{key}: {volume.claim_name!r} in namespace {service.namespace!r} is already the claim of "
                    f"{writers[target]}; a claim has exactly one writer (give this one its own claimName)")
            else:
                writers[target] = f"services.{name}"
    return problems


def check_reference_graph(config: StackConfig) -> list[str]:
    """Every reference of the config resolved; one line per failure."""
    return [*check_cluster_owned_namespaces(config), *check_forward_auth(config), *check_probe_ports(config),
            *check_egress_namespaces(config), *check_claim_writers(config)]

"""What the API server and the cluster would say about a set of rendered objects, computed offline.

The property test (`tests/test_render_accepts_only_what_works.py`) holds every
render it gets against this oracle; the server-side variant in `tests/cluster/`
adds the API server's own dry run. Checked here:
- names and labels within the API server's limits (`manifest_name_problems`);
- the built-in kinds against their OpenAPI schema (kubernetes-validate, strict);
- references: a Service selects pods of its namespace and targets ports they
  declare; Ingress and HTTPRoute backends and forward-auth backends are Services
  with that port; a cross-namespace forward-auth backend has its ReferenceGrant;
  probes name declared ports; a PodDisruptionBudget selects pods; no claim is
  mounted by two workloads;
- flows: every `talksTo` and every route reaches its pods through the rendered
  NetworkPolicies, migration pods included (`network_policy_model`).
"""
from __future__ import annotations

from typing import Any

import kubernetes_validate

from config_models.api_server_name_limits import manifest_name_problems
from network_policy_model import Pod, flow_allowed, selector_matches

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
CUSTOM_GROUPS = ("gateway.networking.k8s.io", "gateway.envoyproxy.io", "cert-manager.io", "secrets.hashicorp.com",
                 "external-secrets.io")
KUBERNETES_VERSION = "1.32"


def pod_template(document: dict) -> dict:
    spec = document["spec"]
    return (spec["jobTemplate"]["spec"] if document["kind"] == "CronJob" else spec)["template"]


def _pods(documents: list[dict]) -> list[tuple[dict, dict]]:
    """(workload document, pod template) of every workload."""
    return [(document, pod_template(document)) for document in documents if document["kind"] in WORKLOAD_KINDS]


def _container_ports(template: dict) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for container in template["spec"].get("containers", [])
            for port in container.get("ports") or [] if port.get("name")}


def _service(documents: list[dict], namespace: str, name: str) -> dict | None:
    return next((document for document in documents if document["kind"] == "Service"
                 and document["metadata"]["namespace"] == namespace and document["metadata"]["name"] == name), None)


def _service_port_problem(documents: list[dict], where: str, namespace: str, name: str, port: Any) -> list[str]:
    service = _service(documents, namespace, name)
    if service is None:
        return [f"{where}: Service {namespace}/{name} is not rendered"]
    ports = service["spec"].get("ports") or []
    if not any(port in (entry.get("name"), entry.get("port")) for entry in ports):
        return [f"{where}: Service {namespace}/{name} has no port {port!r}"]
    return []


def reference_problems(documents: list[dict]) -> list[str]:
    problems = []
    pods = _pods(documents)
    for document, template in pods:
        subject = f"{document['kind']} {document['metadata']['namespace']}/{document['metadata']['name']}"
        declared = _container_ports(template)
        for container in template["spec"].get("containers", []):
            port_names = [port.get("name") for port in container.get("ports") or [] if port.get("name")]
            for duplicate in sorted({name for name in port_names if port_names.count(name) > 1}):
                problems.append(f"{subject}: container port name {duplicate!r} is used twice")
        for container in template["spec"].get("containers", []):
            for probe_kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                probe = container.get(probe_kind) or {}
                port = (probe.get("httpGet") or probe.get("tcpSocket") or {}).get("port")
                if isinstance(port, str) and port not in declared:
                    problems.append(f"{subject}: {probe_kind} names port {port!r}, which is not declared")
    claims: dict[tuple[str, str], str] = {}
    for document, template in pods:
        for volume in template["spec"].get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is None:
                continue
            key = (document["metadata"]["namespace"], claim)
            owner = f"{document['kind']} {document['metadata']['name']}"
            if key in claims and claims[key] != owner:
                problems.append(f"claim {key[0]}/{claim} is mounted by {claims[key]} and {owner}")
            claims[key] = owner
    for document in documents:
        kind, metadata, spec = document["kind"], document["metadata"], document.get("spec") or {}
        namespace = metadata.get("namespace")
        subject = f"{kind} {namespace}/{metadata['name']}"
        if kind == "Service":
            for key in ("name", "port"):
                values = [port.get(key) for port in spec.get("ports") or [] if port.get(key) is not None]
                for duplicate in sorted({value for value in values if values.count(value) > 1}, key=str):
                    problems.append(f"{subject}: port {key} {duplicate!r} is used twice")
            selected = [template for workload, template in pods if workload["metadata"]["namespace"] == namespace
                        and selector_matches({"matchLabels": spec.get("selector") or {}},
                                             template["metadata"].get("labels") or {})]
            if not selected:
                problems.append(f"{subject}: selects no pods")
            for port in spec.get("ports") or []:
                target = port.get("targetPort")
                if isinstance(target, str) and not any(target in _container_ports(t) for t in selected):
                    problems.append(f"{subject}: targetPort {target!r} is no port of its pods")
        elif kind == "PodDisruptionBudget":
            if not any(workload["metadata"]["namespace"] == namespace
                       and selector_matches(spec.get("selector"), template["metadata"].get("labels") or {})
                       for workload, template in pods):
                problems.append(f"{subject}: selects no pods")
        elif kind == "Ingress":
            for rule in spec.get("rules") or []:
                for path in (rule.get("http") or {}).get("paths") or []:
                    backend = path["backend"]["service"]
                    port = backend["port"].get("name", backend["port"].get("number"))
                    problems += _service_port_problem(documents, subject, namespace, backend["name"], port)
        elif kind == "HTTPRoute":
            for rule in spec.get("rules") or []:
                for backend in rule.get("backendRefs") or []:
                    problems += _service_port_problem(documents, subject, backend.get("namespace", namespace),
                                                      backend["name"], backend.get("port"))
        elif kind == "SecurityPolicy":
            for backend in (((spec.get("extAuth") or {}).get("http") or {}).get("backendRefs") or []):
                target_namespace = backend.get("namespace", namespace)
                problems += _service_port_problem(documents, subject, target_namespace, backend["name"],
                                                  backend.get("port"))
                if target_namespace != namespace and not any(
                        grant["kind"] == "ReferenceGrant" and grant["metadata"]["namespace"] == target_namespace
                        and {"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": namespace}
                        in grant["spec"]["from"]
                        and any(to.get("kind") == "Service" and to.get("name") in (None, backend["name"])
                                for to in grant["spec"]["to"])
                        for grant in documents):
                    problems.append(f"{subject}: backend {target_namespace}/{backend['name']} has no ReferenceGrant")
    return problems


def schema_problems(documents: list[dict]) -> list[str]:
    problems = []
    for document in documents:
        group = document["apiVersion"].rpartition("/")[0]
        if group in CUSTOM_GROUPS:
            continue  # their CRDs are the cluster test's (scripts/generate-crds)
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{document['kind']} {document['metadata'].get('name')}: {error.message}")
    return problems


def flow_problems(documents: list[dict], config) -> list[str]:
    """Every talksTo (from the workload's pods and its migration pods) and every route is allowed."""
    namespaces = {document["metadata"]["name"]: document["metadata"].get("labels") or {}
                  for document in documents if document["kind"] == "Namespace"}
    policies = [document for document in documents if document["kind"] == "NetworkPolicy"]
    endpoints: dict[str, Pod] = {}
    for document, template in _pods(documents):
        labels = template["metadata"].get("labels") or {}
        name = labels.get("app.kubernetes.io/name", document["metadata"]["name"])
        namespace = document["metadata"]["namespace"]
        endpoints[name] = Pod(name, namespace, labels, _container_ports(template), namespaces.get(namespace, {}))
    problems = []
    for name, service in sorted(config.services.items()):
        callers = [endpoint for key, endpoint in endpoints.items() if key in (name, f"{name}-migrate")]
        for target in service.talks_to:
            callee = endpoints.get(target.service)
            if callee is None or target.port not in callee.ports:
                problems.append(f"talksTo {name} -> {target.service}:{target.port}: no such pod port rendered")
                continue
            for caller in callers:
                if not flow_allowed(policies, caller, callee, callee.ports[target.port]):
                    problems.append(f"talksTo {caller.name} -> {target.service}:{target.port} is blocked")
    if config.routing is not None:
        edge = []
        if "ingressNginx" in config.routing.implementation:
            edge.append(Pod("ingress-nginx", config.network.ingress_nginx_namespace,
                            dict(config.network.ingress_nginx_pod_labels)))
        if "gatewayApi" in config.routing.implementation:
            edge.append(Pod("envoy", config.network.gateway_data_plane_namespace,
                            dict(config.network.gateway_data_plane_pod_labels)))
        for route_name, route in sorted(config.routing.routes.items()):
            pod = endpoints.get(route.service)
            if pod is None or route.port not in pod.ports:
                problems.append(f"route {route_name}: no pod port {route.service}:{route.port}")
                continue
            for proxy in edge:
                if not flow_allowed(policies, proxy, pod, pod.ports[route.port]):
                    problems.append(f"route {route_name}: {proxy.name} -> {route.service}:{route.port} is blocked")
    return problems


def oracle_problems(documents: list[dict], config) -> list[str]:
    names = [problem for document in documents for problem in manifest_name_problems(document)]
    return names + schema_problems(documents) + reference_problems(documents) + flow_problems(documents, config)

"""Valid and near-valid stack configs, as hypothesis strategies: the edits a person makes to a real stack.

Used by the property tests that render what the config check accepts and hold it against an oracle: offline
(`test_render_accepts_only_what_works.py`) and against the API server (`cluster/test_render_dry_run_property.py`).
"""
from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import strategies as st

from stack_checks.load import read_stack_file

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "acrmemql.azurecr.io/memql-extra@sha256:" + "cd" * 32
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
STACK_VALUES = {stack: read_stack_file(ROOT / f"Pulumi.{stack}.yaml") for stack in ("staging", "prod")}

names = st.from_regex(r"[a-z][a-z0-9-]{0,68}[a-z0-9]", fullmatch=True) | st.sampled_from(
    ["1st", "a", "x" * 52, "x" * 53, "m" * 42, "m" * 43, "m" * 55, "m" * 56, "a--b"])
port_names = st.sampled_from(["http", "mesh", "health", "web", "8443", "metrics", "a--b", "h" * 16])
namespaces = st.sampled_from(["memql", "chat", "forge", "matrix", "edge", "data", "apps", "kube-system",
                              "default", "ingress-nginx", "envoy-gateway-system", "kube-public"])


def _rename(values: dict, old: str, new: str) -> None:
    services = values["services"]
    if old not in services or new in services or new in values["release"]["images"]:
        return
    services[new] = services.pop(old)
    values["release"]["images"][new] = values["release"]["images"].pop(old)
    for route in values.get("routing", {}).get("routes", {}).values():
        if route["service"] == old:
            route["service"] = new
    for service in services.values():
        for target in service.get("talksTo", []):
            if target["service"] == old:
                target["service"] = new


@st.composite
def edits(draw):
    """One edit: (description, function on the values)."""
    kind = draw(st.sampled_from(["rename", "probe", "forward-auth", "talks-to", "egress", "namespace", "cron-job",
                                 "migration", "claim", "port", "gateway", "egress-name"]))
    if kind == "rename":
        old = draw(st.sampled_from(["memql-identity", "memql-bff", "chat", "forge", "sol", "memql-voice"]))
        new = draw(names)
        return f"rename {old} to {new}", lambda v: _rename(v, old, new)
    if kind == "probe":
        service = draw(st.sampled_from(["forge", "chat", "sol", "memql-bff"]))
        port = draw(port_names | st.integers(1, 65535))

        def probe(v):
            for probe_spec in v["services"].get(service, {}).get("probes", {}).values():
                if "httpGet" in probe_spec:
                    probe_spec["httpGet"]["port"] = port
        return f"probes of {service} on port {port!r}", probe
    if kind == "forward-auth":
        service = draw(st.sampled_from(["chat", "memql-identity", "forge", "auth", "oauth2-proxy"]))
        namespace = draw(namespaces)
        port = draw(st.sampled_from([8080, 8085, 3000, 4180, 9090]))
        host = draw(st.sampled_from(["{s}.{n}.svc.cluster.local", "{s}.{n}.svc", "{s}.{n}", "{s}",
                                     "auth.example.org"])).format(s=service, n=namespace)
        external = draw(st.booleans())
        url = f"http://{host}:{port}/auth"

        def forward_auth(v):
            auth = {"url": url, **({"external": True} if external else {})}
            v["routing"]["routes"]["chat"]["forwardAuth"] = auth
        return f"forward auth {url} external={external}", forward_auth
    if kind == "talks-to":
        caller = draw(st.sampled_from(["memql-bff", "chat", "forge", "memql-agent"]))
        callee = draw(st.sampled_from(["memql-identity", "memql-cognition", "chat", "sol", "nobody"]))
        port = draw(port_names)
        return (f"{caller} talks to {callee}:{port}",
                lambda v: v["services"][caller].setdefault("talksTo", []).append({"service": callee, "port": port}))
    if kind == "egress":
        service = draw(st.sampled_from(["sol", "chat", "memql-bff"]))
        namespace = draw(namespaces)
        labels = draw(st.sampled_from([None, {"app.kubernetes.io/name": "tuwunel"}, {"app": "x"}]))
        rule = {"name": "added", "namespace": namespace, "ports": [443], **({"podLabels": labels} if labels else {})}
        return (f"{service} egress into {namespace} {labels}",
                lambda v: v["services"][service].setdefault("egress", []).append(rule))
    if kind == "namespace":
        namespace = draw(namespaces)
        return f"own namespace {namespace}", lambda v: v["namespaces"].setdefault(namespace, {})
    if kind == "cron-job":
        name = draw(names)

        def cron_job(v):
            if name in v["services"] or name in v["release"]["images"]:
                return
            v["services"][name] = {"kind": "cronJob", "namespace": "memql", "schedule": "@daily",
                                   "resources": RESOURCES}
            v["release"]["images"][name] = {"image": IMAGE, "version": "1.0.0"}
        return f"cron job {name}", cron_job
    if kind == "migration":
        service = draw(st.sampled_from(["memql-bff", "memql-cognition", "chat"]))
        return (f"migration on {service}",
                lambda v: v["services"][service].setdefault("migration", {"command": ["./migrate"]}))
    if kind == "claim":
        service = draw(st.sampled_from(["chat", "sol"]))
        claim = draw(st.sampled_from(["forge-data", "chat-history", "sol-data", "shared"]))
        namespace = draw(st.sampled_from([None, "forge", "chat"]))

        def claim_edit(v):
            v["services"][service]["data"]["claimName"] = claim
            if namespace is not None:
                v["services"][service]["namespace"] = namespace
        return f"{service} claims {claim} in {namespace}", claim_edit
    if kind == "port":
        service = draw(st.sampled_from(["forge", "memql-bff", "chat"]))
        name = draw(port_names)
        number = draw(st.integers(1024, 65535))
        return (f"{service} port {name}:{number}",
                lambda v: v["services"][service].setdefault("ports", []).append(
                    {"name": name, "containerPort": number}))
    if kind == "gateway":
        both = draw(st.booleans())

        def gateway(v):
            v["routing"]["implementation"] = ["ingressNginx", "gatewayApi"] if both else ["gatewayApi"]
            v["routing"]["routes"]["chat"].get("forwardAuth", {}).pop("signinPath", None)
        return f"routing through the Gateway API (both: {both})", gateway
    length = draw(st.integers(1, 60))
    return (f"egress rule name of {length} characters",
            lambda v: v["services"]["memql-bff"]["egress"][0].update({"name": "e" * length}))


def edited_values(stack: str, chosen: list) -> dict:
    """A copy of the stack's values with the chosen edits applied (an edit that does not fit is skipped)."""
    values = copy.deepcopy(STACK_VALUES[stack])
    for _, edit in chosen:
        try:
            edit(values)
        except (KeyError, TypeError, AttributeError, IndexError):
            pass
    return values


def _migration_and_cross_namespace_forward_auth(values: dict) -> None:
    values["services"]["memql-bff"]["migration"] = {"command": ["./memql", "migrate"]}
    values["routing"]["implementation"] = ["ingressNginx", "gatewayApi"]
    values["routing"]["routes"]["chat"]["forwardAuth"] = {
        "url": "http://memql-identity.memql.svc.cluster.local:8085/auth"}


# Tried on every run, whatever the seed: the flows the real stacks do not exercise (a migration that calls
# the mesh, a forward-auth Service in another namespace under the Gateway API, with its ReferenceGrant).
ALWAYS_TRIED = [("migration on memql-bff; both implementations; chat's forward auth served from memql",
                 _migration_and_cross_namespace_forward_auth)]

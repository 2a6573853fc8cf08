"""The staging stack's Gateway API routing objects against a real API server and their upstream CRDs.

The staging stack is rendered with `routing.implementation: gatewayApi` in both routing modes
(subpath and subdomain; chat's forwardAuth.signinPath removed, which that implementation refuses,
as in tests/test_routing.py). Its Gateway, HTTPRoutes, Envoy Gateway SecurityPolicies and
BackendTrafficPolicies and cert-manager Certificate are applied server-side, with the Namespaces
they live in, against the CRDs scripts/generate-crds writes (Gateway API v1.6.1, Envoy Gateway
v1.9.1, cert-manager v1.21.2): each must be accepted with no warning and stored as rendered.
A rendered HTTPRoute changed in one field, a ReplacePrefixMatch rewrite on an Exact match, must be
refused by the HTTPRoute CRD's validation rules.

The namespaces are renamed (edge -> gwapi-subpath-edge, ...) in every namespace reference, so these
tests never touch the namespaces test_server_side.py applies the stacks into and can run before,
after or between its stacks in one session; each mode's namespaces are deleted when its tests end.
Left out: no Gateway controller runs, so "accepted" means admitted by the API server (schema,
validation rules, strict field validation), not programmed by Envoy Gateway; the apps themselves
are test_server_side.py's.

Skipped unless STACKCTL_CLUSTER_TESTS=1 or STACKCTL_KUBECONFIG is set (see conftest.py).
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_support import Kubectl, PendingRender, apply_args, assert_no_warnings, kubernetes_files
from stack_file_edits import edit_stack_file

ROOT = Path(__file__).resolve().parents[2]
MODES = ("subpath", "subdomain")
ROUTING_GROUPS = ("gateway.networking.k8s.io", "gateway.envoyproxy.io", "cert-manager.io")
EXPECTED_KINDS = {"Gateway", "HTTPRoute", "SecurityPolicy", "BackendTrafficPolicy", "Certificate"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
PREFIX_REWRITE_NEEDS_PATH_PREFIX = (
    "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"
)


def _gateway_api_stack_file(mode: str, target: Path) -> Path:
    def edit(config: dict[str, Any]) -> None:
        config["routing"]["mode"] = mode
        config["routing"]["implementation"] = "gatewayApi"
        # Envoy Gateway cannot redirect to a sign-in page; the auth service answers 302 itself.
        del config["routing"]["routes"]["chat"]["forwardAuth"]["signinPath"]
    return edit_stack_file(ROOT / "Pulumi.staging.yaml", target, edit)


@pytest.fixture(scope="session")
def gateway_api_renders(tmp_path_factory) -> dict[str, PendingRender]:
    """Both modes rendered in the background, started before the cluster so they overlap with `up`."""
    base = tmp_path_factory.mktemp("gateway-api-render")
    renders = {}
    for mode in MODES:
        stack_file = _gateway_api_stack_file(mode, base / f"Pulumi.staging-gatewayApi-{mode}.yaml")
        out = base / f"out-{mode}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "stackctl", "render", "staging", "--out", str(out), "--config-file", str(stack_file)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        renders[mode] = PendingRender(proc, out)
    return renders


def _renamed(value: Any, namespaces: dict[str, str]) -> Any:
    """`value` with every reference to a stack namespace renamed: metadata.namespace and the
    `namespace` of parentRefs, backendRefs, targetRefs and certificateRefs, and namespace-name
    selectors (a Gateway's allowedRoutes). Other strings, service names included, are kept."""
    if isinstance(value, list):
        return [_renamed(item, namespaces) for item in value]
    if not isinstance(value, dict):
        return value
    renamed = {key: _renamed(item, namespaces) for key, item in value.items()}
    if isinstance(renamed.get("namespace"), str):
        renamed["namespace"] = namespaces.get(renamed["namespace"], renamed["namespace"])
    if renamed.get("key") == NAMESPACE_NAME_LABEL and isinstance(renamed.get("values"), list):
        renamed["values"] = [namespaces.get(v, v) for v in renamed["values"]]
    if isinstance(renamed.get(NAMESPACE_NAME_LABEL), str):  # matchLabels, and a Namespace's own label
        renamed[NAMESPACE_NAME_LABEL] = namespaces.get(renamed[NAMESPACE_NAME_LABEL], renamed[NAMESPACE_NAME_LABEL])
    return renamed


def _in_test_namespaces(obj: dict, namespaces: dict[str, str]) -> dict:
    renamed = _renamed(obj, namespaces)
    if renamed["kind"] == "Namespace":
        renamed["metadata"]["name"] = namespaces[renamed["metadata"]["name"]]
    return renamed


@dataclass
class AppliedRouting:
    mode: str
    namespaces: list[str]
    namespace_files: list[Path]
    object_files: list[Path]
    objects: list[dict]
    applies: list[subprocess.CompletedProcess]

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o["kind"] == kind]


def _write(objects: list[dict], directory: Path) -> list[Path]:
    directory.mkdir(parents=True)
    files = []
    for obj in objects:
        meta = obj["metadata"]
        path = directory / f"{meta.get('namespace', '_cluster')}-{obj['kind']}-{meta['name']}.yaml"
        path.write_text(yaml.safe_dump(obj, sort_keys=False))
        files.append(path)
    return files


@pytest.fixture(scope="module", params=MODES)
def applied(request, gateway_api_renders, kubectl: Kubectl, crds, tmp_path_factory) -> AppliedRouting:
    """One mode's routing objects and their Namespaces, renamed and applied server-side; the
    Namespaces deleted afterwards."""
    mode = request.param
    render_dir = gateway_api_renders[mode].result()
    namespace_files, object_files = kubernetes_files(render_dir)
    stack_namespaces = [yaml.safe_load(p.read_text()) for p in namespace_files]
    renames = {ns["metadata"]["name"]: f"gwapi-{mode}-{ns['metadata']['name']}" for ns in stack_namespaces}
    routing = [o for o in (yaml.safe_load(p.read_text()) for p in object_files)
               if o["apiVersion"].split("/")[0] in ROUTING_GROUPS]
    used = {o["metadata"]["namespace"] for o in routing}
    namespaces = [_in_test_namespaces(ns, renames) for ns in stack_namespaces if ns["metadata"]["name"] in used]
    objects = [_in_test_namespaces(o, renames) for o in routing]

    base = tmp_path_factory.mktemp(f"gateway-api-{mode}")
    result = AppliedRouting(
        mode=mode, namespaces=[ns["metadata"]["name"] for ns in namespaces],
        namespace_files=_write(namespaces, base / "namespaces"), object_files=_write(objects, base / "objects"),
        objects=objects, applies=[],
    )
    leftovers = [n for n in result.namespaces if kubectl("get", "namespace", n, check=False).returncode == 0]
    assert not leftovers, f"namespaces {leftovers} already exist on the test cluster"
    try:
        result.applies.append(kubectl(*apply_args(*result.namespace_files), check=False))
        result.applies.append(kubectl(*apply_args(*result.object_files), check=False))
        yield result
    finally:
        kubectl("delete", "namespace", *result.namespaces, "--ignore-not-found", "--wait=true",
                "--timeout=180s", timeout=240)


def test_the_render_holds_every_routing_kind_in_test_namespaces_only(applied):
    kinds = {o["kind"] for o in applied.objects}
    assert EXPECTED_KINDS <= kinds, f"{applied.mode}: rendered no {sorted(EXPECTED_KINDS - kinds)}"
    for obj in applied.objects:
        assert obj["metadata"]["namespace"] in applied.namespaces, (
            f"{obj['kind']}/{obj['metadata']['name']} is in namespace {obj['metadata']['namespace']!r}, "
            f"not one of this test's {applied.namespaces}"
        )
    for gateway_ref in (ref for route in applied.of_kind("HTTPRoute") for ref in route["spec"]["parentRefs"]):
        assert gateway_ref["namespace"] in applied.namespaces


def test_routing_objects_are_accepted_without_warnings(applied):
    for proc, what in zip(applied.applies, ("namespaces", "routing objects")):
        assert proc.returncode == 0, (
            f"{applied.mode}: server-side apply of the {what} was refused:\n{proc.stdout}\n{proc.stderr}"
        )
        assert_no_warnings(proc, f"{applied.mode}: applying the {what}")


def _differences(rendered: Any, stored: Any, path: str) -> list[str]:
    """Where `stored` lost or changed something of `rendered` (fields the server defaults are fine)."""
    if isinstance(rendered, dict):
        if not isinstance(stored, dict):
            return [f"{path}: stored {stored!r}, not a mapping"]
        return [difference for key, value in rendered.items()
                for difference in (_differences(value, stored[key], f"{path}.{key}") if key in stored
                                   else [f"{path}.{key}: dropped by the server"])]
    if isinstance(rendered, list):
        if not isinstance(stored, list) or len(stored) != len(rendered):
            return [f"{path}: rendered {len(rendered)} items, stored {stored!r}"]
        return [difference for index, (r, s) in enumerate(zip(rendered, stored))
                for difference in _differences(r, s, f"{path}[{index}]")]
    return [] if rendered == stored else [f"{path}: rendered {rendered!r}, stored {stored!r}"]


def test_the_server_stores_each_routing_object_as_rendered(applied, kubectl: Kubectl):
    args = ["get", "-o", "json"]
    for f in applied.object_files:
        args += ["-f", str(f)]
    listed = json.loads(kubectl(*args).stdout)
    stored = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o
              for o in (listed["items"] if listed.get("kind") == "List" else [listed])}
    problems = []
    for obj in applied.objects:
        key = (obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"])
        if key not in stored:
            problems.append(f"{'/'.join(key)}: not on the server")
            continue
        problems += [f"{'/'.join(key)}: {d}" for d in _differences(obj["spec"], stored[key]["spec"], "spec")]
        problems += [f"{'/'.join(key)}: {d}"
                     for d in _differences(obj["metadata"]["labels"], stored[key]["metadata"]["labels"], "labels")]
    assert not problems, f"{applied.mode}:\n" + "\n".join(problems)


@pytest.mark.parametrize("applied", ["subpath"], indirect=True)
def test_a_prefix_rewrite_on_an_exact_match_is_refused(applied, kubectl: Kubectl, tmp_path):
    # subpath mode strips each app's prefix with a URLRewrite ReplacePrefixMatch (the subdomain mode has none)
    route = next(r for r in applied.of_kind("HTTPRoute")
                 if any(f.get("urlRewrite", {}).get("path", {}).get("type") == "ReplacePrefixMatch"
                        for rule in r["spec"]["rules"] for f in rule.get("filters", [])))
    broken = copy.deepcopy(route)
    broken["metadata"]["name"] = f"{route['metadata']['name']}-exact-rewrite"
    rule = next(rule for rule in broken["spec"]["rules"] if rule.get("filters"))
    assert rule["matches"][0]["path"]["type"] == "PathPrefix"
    rule["matches"][0]["path"]["type"] = "Exact"   # the one change
    manifest = tmp_path / "HTTPRoute-broken.yaml"
    manifest.write_text(yaml.safe_dump(broken, sort_keys=False))

    proc = kubectl(*apply_args(manifest), check=False)

    assert proc.returncode != 0, f"the API server accepted a ReplacePrefixMatch rewrite on an Exact match:\n{proc.stdout}"
    assert PREFIX_REWRITE_NEEDS_PATH_PREFIX in proc.stderr, proc.stderr
    namespace = broken["metadata"]["namespace"]
    assert kubectl("get", "httproute", broken["metadata"]["name"], "-n", namespace, check=False).returncode != 0

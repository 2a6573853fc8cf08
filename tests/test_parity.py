"""`stackctl parity`: two renders must hold the same resources, differing only in allowlisted values.

The core (`compare_rendered`) is tested on directories written here, in the
layout `stackctl render` produces; the verb is tested with `render_stack`
replaced by a copy of those directories, so no Pulumi program runs.
"""
from __future__ import annotations

import argparse
import copy
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from stackctl import parity
from stackctl.parity import (
    ALLOWED_DIFFERENCES,
    AllowedDifference,
    Difference,
    NamedItem,
    RenderedFilesError,
    compare_rendered,
    compare_resources,
    format_path,
    load_rendered,
    parse_path_pattern,
    path_matches,
)


def deployment(environment: str = "staging", digest: str = "a" * 64) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "sol", "namespace": "matrix",
                     "labels": {"app.kubernetes.io/name": "sol", "platform/environment": environment}},
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "template": {
                "metadata": {"annotations": {"checksum/config": f"{environment}-hash"},
                             "labels": {"app.kubernetes.io/name": "sol", "platform/environment": environment}},
                "spec": {
                    "containers": [{
                        "name": "sol",
                        "image": f"registry.example.com/matrix/sol@sha256:{digest}",
                        "args": ["--serve"],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                    }],
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
    }


def claim(size: str = "1Gi") -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "sol-data", "namespace": "matrix"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}


def ingress(host: str = "sol.staging.example.com") -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "sol", "namespace": "matrix"},
            "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix"}]}}],
                     "tls": [{"hosts": [host], "secretName": "sol-tls"}]}}


def namespace(environment: str = "staging") -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "matrix", "labels": {"platform/environment": environment}}}


def node_pool(min_count: int = 1, vm_size: str = "Standard_B2s") -> dict:
    return {"type": "azure-native:containerservice:AgentPool", "name": "workers",
            "inputs": {"minCount": min_count, "maxCount": 3, "vmSize": vm_size, "mode": "User"},
            "options": {"protect": False, "retainOnDelete": False, "deleteBeforeReplace": False}}


def staging_resources() -> dict[str, dict]:
    return {
        "_cluster/Namespace-matrix.yaml": namespace(),
        "matrix/Deployment-sol.yaml": deployment(),
        "matrix/PersistentVolumeClaim-sol-data.yaml": claim(),
        "matrix/Ingress-sol.yaml": ingress(),
        ".stackctl/cloud/azure-native-containerservice-AgentPool--workers": node_pool(),
    }


def write_render(directory: Path, resources: dict[str, dict], outputs: dict | None = None) -> Path:
    for relative, document in resources.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=True))
    (directory / ".stackctl" / "outputs").parent.mkdir(parents=True, exist_ok=True)
    (directory / ".stackctl" / "outputs").write_text(yaml.safe_dump(outputs or {"environment": directory.name}))
    return directory


@pytest.fixture
def renders(tmp_path):
    """(staging dir, a function writing a prod dir from edited staging resources)."""
    staging = write_render(tmp_path / "staging", staging_resources())

    def prod(edit=lambda resources: None) -> Path:
        resources = copy.deepcopy(staging_resources())
        edit(resources)
        target = tmp_path / "prod"
        shutil.rmtree(target, ignore_errors=True)
        return write_render(target, resources)
    return staging, prod


# --- parity holds ------------------------------------------------------------

def test_identical_renders_have_parity(renders):
    staging, prod = renders
    assert compare_rendered(staging, prod()) == []


def test_environment_values_are_allowed_differences(renders):
    staging, prod = renders

    def to_prod(resources):
        resources["_cluster/Namespace-matrix.yaml"] = namespace("prod")
        resources["matrix/Deployment-sol.yaml"] = deployment("prod", digest="b" * 64)
        resources["matrix/Deployment-sol.yaml"]["spec"]["template"]["spec"]["containers"][0]["resources"] = {
            "requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
        resources["matrix/PersistentVolumeClaim-sol-data.yaml"] = claim("50Gi")
        resources["matrix/Ingress-sol.yaml"] = ingress("sol.example.com")
        resources[".stackctl/cloud/azure-native-containerservice-AgentPool--workers"] = node_pool(2, "Standard_D4s_v5")

    prod_dir = prod(to_prod)
    assert compare_rendered(staging, prod_dir) == []
    allowed = compare_rendered(staging, prod_dir, include_allowed=True)
    assert [str(difference) for difference in allowed] == [
        'apps/v1 Deployment matrix/sol: metadata.labels.platform/environment: "staging" != "prod"',
        'apps/v1 Deployment matrix/sol: spec.template.metadata.annotations.checksum/config: '
        '"staging-hash" != "prod-hash"',
        'apps/v1 Deployment matrix/sol: spec.template.metadata.labels.platform/environment: "staging" != "prod"',
        f'apps/v1 Deployment matrix/sol: spec.template.spec.containers[name=sol].image: '
        f'"registry.example.com/matrix/sol@sha256:{"a" * 64}" != "registry.example.com/matrix/sol@sha256:{"b" * 64}"',
        'apps/v1 Deployment matrix/sol: spec.template.spec.containers[name=sol].resources.limits.memory: '
        '"512Mi" != "2Gi"',
        'apps/v1 Deployment matrix/sol: spec.template.spec.containers[name=sol].resources.requests.cpu: '
        '"100m" != "500m"',
        'apps/v1 Deployment matrix/sol: spec.template.spec.containers[name=sol].resources.requests.memory: '
        '"256Mi" != "1Gi"',
        'azure-native:containerservice:AgentPool workers: inputs.minCount: 1 != 2',
        'azure-native:containerservice:AgentPool workers: inputs.vmSize: "Standard_B2s" != "Standard_D4s_v5"',
        'networking.k8s.io/v1 Ingress matrix/sol: spec.rules[0].host: "sol.staging.example.com" != "sol.example.com"',
        'networking.k8s.io/v1 Ingress matrix/sol: spec.tls[0].hosts[0]: "sol.staging.example.com" != "sol.example.com"',
        'v1 Namespace matrix: metadata.labels.platform/environment: "staging" != "prod"',
        'v1 PersistentVolumeClaim matrix/sol-data: spec.resources.requests.storage: "1Gi" != "50Gi"',
    ]
    assert all(difference.allowed_by for difference in allowed)


def test_identity_comes_from_content_not_file_names(renders):
    staging, prod = renders
    prod_dir = prod()
    (prod_dir / "matrix/Deployment-sol.yaml").rename(prod_dir / "matrix/renamed.yaml")
    assert compare_rendered(staging, prod_dir) == []


def test_stack_outputs_are_not_resources(renders, tmp_path):
    staging, prod = renders
    prod_dir = prod()
    (prod_dir / ".stackctl" / "outputs").write_text("environment: prod\nreleaseDigests: {sol: x}\n")
    assert compare_rendered(staging, prod_dir) == []


# --- parity fails ------------------------------------------------------------

def test_a_resource_on_one_side_only(renders):
    staging, prod = renders
    prod_dir = prod(lambda resources: resources.pop("matrix/Ingress-sol.yaml"))
    assert [str(difference) for difference in compare_rendered(staging, prod_dir)] == [
        "networking.k8s.io/v1 Ingress matrix/sol: (resource): present != <absent>",
    ]
    assert [str(difference) for difference in compare_rendered(prod_dir, staging)] == [
        "networking.k8s.io/v1 Ingress matrix/sol: (resource): <absent> != present",
    ]


def test_a_changed_structural_field(renders):
    staging, prod = renders

    def edit(resources):
        spec = resources["matrix/Deployment-sol.yaml"]["spec"]
        spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}
        spec["replicas"] = 2
        spec["template"]["spec"]["containers"][0]["args"].append("--debug")

    assert [str(difference) for difference in compare_rendered(staging, prod(edit))] == [
        "apps/v1 Deployment matrix/sol: spec.replicas: 1 != 2",
        'apps/v1 Deployment matrix/sol: spec.strategy.rollingUpdate: <absent> != {"maxSurge": 1}',
        'apps/v1 Deployment matrix/sol: spec.strategy.type: "Recreate" != "RollingUpdate"',
        "apps/v1 Deployment matrix/sol: spec.template.spec.containers[name=sol].args: 1 items != 2 items",
    ]


def test_named_list_items_are_matched_by_name(renders):
    staging, prod = renders

    def edit(resources):
        container = resources["matrix/Deployment-sol.yaml"]["spec"]["template"]["spec"]["containers"][0]
        container["env"].insert(0, {"name": "DEBUG", "value": "1"})

    differences = compare_rendered(staging, prod(edit))
    assert [str(difference) for difference in differences] == [
        'apps/v1 Deployment matrix/sol: spec.template.spec.containers[name=sol].env[name=DEBUG]: '
        '<absent> != {"name": "DEBUG", "value": "1"}',
    ]
    assert differences[0].kind == "structure"


def test_named_list_order_is_structure(renders):
    staging, prod = renders

    def edit(resources):
        container = resources["matrix/Deployment-sol.yaml"]["spec"]["template"]["spec"]["containers"][0]
        container["env"].reverse()

    assert [str(difference) for difference in compare_rendered(staging, prod(edit))] == [
        'apps/v1 Deployment matrix/sol: spec.template.spec.containers[name=sol].env: '
        'order ["A", "B"] != order ["B", "A"]',
    ]


def test_an_allowed_path_on_another_kind_is_still_a_finding(renders):
    staging, prod = renders

    def edit(resources):
        resources["matrix/PersistentVolumeClaim-sol-data.yaml"]["metadata"]["annotations"] = {"x": "y"}
        resources[".stackctl/cloud/azure-native-containerservice-AgentPool--workers"]["inputs"]["mode"] = "System"

    assert [str(difference) for difference in compare_rendered(staging, prod(edit))] == [
        'azure-native:containerservice:AgentPool workers: inputs.mode: "User" != "System"',
        'v1 PersistentVolumeClaim matrix/sol-data: metadata.annotations: <absent> != {"x": "y"}',
    ]


def test_scalars_compare_by_type(renders):
    staging, prod = renders

    def edit(resources):
        resources["matrix/Deployment-sol.yaml"]["spec"]["replicas"] = True

    assert [str(difference) for difference in compare_rendered(staging, prod(edit))] == [
        "apps/v1 Deployment matrix/sol: spec.replicas: 1 != true",
    ]


def test_a_key_allowed_to_be_absent(tmp_path):
    vault = {"type": "azure-native:keyvault:Vault", "name": "kv", "inputs": {"properties": {"sku": "standard"}}}
    strict = copy.deepcopy(vault)
    strict["inputs"]["properties"]["enablePurgeProtection"] = True
    staging = write_render(tmp_path / "staging", {".stackctl/cloud/kv": vault})
    prod = write_render(tmp_path / "prod", {".stackctl/cloud/kv": strict})
    assert compare_rendered(staging, prod) == []
    # Presence is allowed only where the entry says so.
    strict["inputs"]["properties"]["softDeleteRetentionInDays"] = 90
    prod = write_render(tmp_path / "prod2", {".stackctl/cloud/kv": strict})
    assert [str(difference) for difference in compare_rendered(staging, prod)] == [
        "azure-native:keyvault:Vault kv: inputs.properties.softDeleteRetentionInDays: <absent> != 90",
    ]


def test_a_custom_allowlist_replaces_the_default(renders):
    staging, prod = renders
    prod_dir = prod(lambda resources: resources["matrix/Deployment-sol.yaml"]["spec"].update(replicas=2))
    only_replicas = [AllowedDifference(resource="Deployment", path="spec.replicas", reason="test")]
    assert compare_rendered(staging, prod_dir, only_replicas) == []


# --- reading rendered files --------------------------------------------------

def test_unrecognised_and_duplicate_files_are_errors(tmp_path):
    write_render(tmp_path / "odd", {"x.yaml": {"hello": "world"}})
    with pytest.raises(RenderedFilesError, match="neither a Kubernetes object"):
        load_rendered(tmp_path / "odd")
    write_render(tmp_path / "twice", {"a.yaml": namespace(), "b.yaml": namespace()})
    with pytest.raises(RenderedFilesError, match=r"v1 Namespace matrix is rendered twice \(a.yaml, b.yaml\)"):
        load_rendered(tmp_path / "twice")
    with pytest.raises(RenderedFilesError, match="not a directory"):
        load_rendered(tmp_path / "missing")


# --- the allowlist table and its path patterns ---------------------------------

def test_every_allowlist_entry_parses_and_has_a_reason():
    for entry in ALLOWED_DIFFERENCES:
        assert parse_path_pattern(entry.path)
        assert entry.reason and not entry.reason.endswith(".")


@pytest.mark.parametrize("pattern, path, expected", [
    ("**.containers[].image", ("spec", "template", "spec", "containers", NamedItem("sol"), "image"), True),
    ("**.containers[].image", ("spec", "containers", 0, "image"), True),
    ("**.containers[].image", ("spec", "containers", "image"), False),
    ("**.metadata.labels.platform/environment", ("metadata", "labels", "platform/environment"), True),
    ("**.metadata.annotations.checksum/*", ("spec", "template", "metadata", "annotations", "checksum/config"), True),
    ('metadata.annotations["cert-manager.io/cluster-issuer"]',
     ("metadata", "annotations", "cert-manager.io/cluster-issuer"), True),
    ("spec.rules[].host", ("spec", "rules", 0, "host", "extra"), False),
])
def test_path_patterns(pattern, path, expected):
    assert path_matches(parse_path_pattern(pattern), path) is expected


@pytest.mark.parametrize("pattern", ["", ".spec", "spec..x", 'a["unterminated]'])
def test_malformed_patterns_are_refused(pattern):
    with pytest.raises(ValueError, match="path pattern"):
        parse_path_pattern(pattern)


def test_paths_print_unambiguously():
    assert format_path(("metadata", "annotations", "cert-manager.io/cluster-issuer")) == \
        'metadata.annotations["cert-manager.io/cluster-issuer"]'
    assert format_path(("spec", "containers", NamedItem("sol"), "ports", 0)) == "spec.containers[name=sol].ports[0]"


# --- properties ----------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5))
documents = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.text(min_size=1, max_size=4), children, max_size=3)),
    max_leaves=12)


@settings(max_examples=100)
@given(st.dictionaries(st.text(min_size=1, max_size=4), documents, max_size=4), documents)
def test_a_document_has_parity_with_itself_and_difference_counts_are_symmetric(spec, other_spec):
    resource = {"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "x"}, "spec": spec}
    other = {**resource, "spec": other_spec}
    key = parity.resource_id(resource, Path("x"))
    assert compare_resources({key: resource}, {key: copy.deepcopy(resource)}, ()) == []
    forward = compare_resources({key: resource}, {key: other}, (), include_allowed=True)
    backward = compare_resources({key: other}, {key: resource}, (), include_allowed=True)
    assert len(forward) == len(backward)
    assert all(isinstance(difference, Difference) for difference in forward)


# --- the verb ----------------------------------------------------------------

def run_verb(monkeypatch, capsys, staging_dir: Path, prod_dir: Path, output: str = "text") -> tuple[int, str, str]:
    import stackctl.render

    sources = {"staging": staging_dir, "prod": prod_dir}

    def fake_render_stack(stack, out_dir, config_file=None, root=None):
        shutil.copytree(sources[stack], out_dir)

    monkeypatch.setattr(stackctl.render, "render_stack", fake_render_stack)
    code = parity.run(argparse.Namespace(stack_a="staging", stack_b="prod", root=None, show_allowed=False,
                                         output=output))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_verb_passes_with_a_one_line_summary(renders, monkeypatch, capsys):
    staging, prod = renders
    prod_dir = prod(lambda resources: resources.update({"matrix/PersistentVolumeClaim-sol-data.yaml": claim("9Gi")}))
    code, out, err = run_verb(monkeypatch, capsys, staging, prod_dir)
    assert (code, out, err) == (0, "parity staging prod: ok, 5 resources on each side, 1 allowed difference\n", "")


def test_verb_fails_listing_each_difference(renders, monkeypatch, capsys):
    staging, prod = renders

    def edit(resources):
        resources.pop("matrix/Ingress-sol.yaml")
        resources["matrix/Deployment-sol.yaml"]["spec"]["strategy"]["type"] = "RollingUpdate"

    code, out, err = run_verb(monkeypatch, capsys, staging, prod(edit))
    # The differences are the findings: on stdout, never as `error:` lines; the hint is on stderr.
    assert code == 1
    assert out == (
        "parity staging prod: 2 differences beyond config values (left is staging, right is prod):\n"
        '  apps/v1 Deployment matrix/sol: spec.strategy.type: "Recreate" != "RollingUpdate"\n'
        "  networking.k8s.io/v1 Ingress matrix/sol: (resource): present != <absent>\n"
    )
    assert err == ("fix the program or the stack config, or add a reasoned entry to ALLOWED_DIFFERENCES in "
                   "stackctl/parity.py\n")


def test_verb_json_lists_the_differences_and_validates(renders, monkeypatch, capsys):
    import json

    import jsonschema

    from stackctl.output_formats import schema_path

    staging, prod = renders

    def edit(resources):
        resources["matrix/Deployment-sol.yaml"]["spec"]["strategy"]["type"] = "RollingUpdate"

    code, out, err = run_verb(monkeypatch, capsys, staging, prod(edit), output="json")
    document = json.loads(out)
    jsonschema.validate(document, json.loads(schema_path("parity").read_text()))
    assert (code, err) == (1, "")
    assert document["differences"] == [{
        "resource": "apps/v1 Deployment matrix/sol", "path": "spec.strategy.type", "left": '"Recreate"',
        "right": '"RollingUpdate"', "kind": "value", "allowedBy": None}]
    assert document["resources"] == {"staging": 5, "prod": 5}


def test_verb_prints_a_progress_line_per_step_when_stderr_is_a_terminal(renders, monkeypatch):
    import os
    import sys

    import stackctl.render

    staging, prod = renders
    sources = {"staging": staging, "prod": prod()}
    monkeypatch.setattr(stackctl.render, "render_stack",
                        lambda stack, out_dir, config_file=None, root=None: shutil.copytree(sources[stack], out_dir))
    controller, terminal = os.openpty()
    with os.fdopen(terminal, "w") as terminal_stream:
        monkeypatch.setattr(sys, "stderr", terminal_stream)
        assert parity.run(argparse.Namespace(stack_a="staging", stack_b="prod", root=None, show_allowed=False,
                                             output="text")) == 0
        terminal_stream.flush()
        written = os.read(controller, 65536).decode().replace("\r\n", "\n")
    os.close(controller)
    assert written == ("parity: rendering staging (1/2)\nparity: rendering prod (2/2)\n"
                       "parity: comparing staging and prod\n")

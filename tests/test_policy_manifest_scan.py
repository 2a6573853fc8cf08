"""`stackctl policy --manifests PATH` reads what users have: YAML and JSON, Lists, files and directories.

Non-objects are skipped and listed, unparsable files are bad input with
`file:line: reason`, and a scan that finds nothing exits 2, never "0 violations".
"""
from __future__ import annotations

import json
from pathlib import Path

from stackctl import __main__ as stackctl

ROOT = Path(__file__).resolve().parent.parent
SOL = (ROOT / "tests" / "golden" / "staging" / "matrix" / "Deployment-sol.yaml").read_text()
PRIVILEGED = (ROOT / "policies" / "corpus" / "bad" / "privileged.yaml").read_text()
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: matrix}\ndata: {a: b}\n"


def _policy(path, capsys):
    code = stackctl.main(["policy", "--manifests", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _last_line(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_multi_document_yaml_with_empty_documents(tmp_path, capsys):
    (tmp_path / "all.yml").write_text("---\n---\n" + CONFIG_MAP + "---\n\n---\n" + CONFIG_MAP.replace("settings", "more"))
    code, out, err = _policy(tmp_path, capsys)
    assert (code, _last_line(out), err) == (0, "2 resources, 0 violations (0 mandatory)", "")


def test_json_and_a_kind_list_as_kubectl_prints_them(tmp_path, capsys):
    import yaml
    listed = {"apiVersion": "v1", "kind": "List", "items": [yaml.safe_load(PRIVILEGED), yaml.safe_load(CONFIG_MAP)]}
    (tmp_path / "live.json").write_text(json.dumps(listed, indent=2))
    code, out, err = _policy(tmp_path, capsys)
    assert code == 1
    assert "pod-security-restricted" in out and _last_line(out).startswith("2 resources, ")


def test_a_single_file_instead_of_a_directory(tmp_path, capsys):
    single = tmp_path / "sol.yaml"
    single.write_text(PRIVILEGED)
    code, out, _ = _policy(single, capsys)
    assert code == 1 and _last_line(out) == "1 resource, 5 violations (5 mandatory)"


def test_tool_files_are_skipped_and_listed_not_flagged(tmp_path, capsys):
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: sol\nversion: 1.0.0\n")
    (tmp_path / "values.yaml").write_text("image: sol\nreplicas: 3\n")
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n")
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP)
    code, out, err = _policy(tmp_path, capsys)
    assert (code, _last_line(out)) == (0, "1 resource, 0 violations (0 mandatory)")
    assert err.splitlines() == [
        "skipped Chart.yaml: not a Kubernetes object (no kind)",
        "skipped kustomization.yaml: tool configuration (kustomize.config.k8s.io/v1beta1 Kustomization), "
        "not a cluster object",
        "skipped values.yaml: not a Kubernetes object (no apiVersion and no kind)",
    ]


def test_an_unrendered_helm_template_is_bad_input_with_file_and_line(tmp_path, capsys):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n")
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP)
    code, out, err = _policy(tmp_path, capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"error: --manifests: '{tmp_path}' (1 file(s) could not be read, so nothing was checked; fix or remove them)\n"
        "  templates/deployment.yaml:4: not valid YAML: found unhashable key (while constructing a mapping) "
        "(it holds `{{`: an unrendered template? run `helm template` or `kustomize build` first)\n")


def test_a_tab_indented_file_is_bad_input_with_file_and_line(tmp_path, capsys):
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n")
    code, out, err = _policy(tmp_path, capsys)
    assert code == 2
    assert err.splitlines()[1] == ("  cm.yaml:4: not valid YAML: found character that cannot start any token "
                                   "(while scanning for the next token) (a tab: YAML indents with spaces only)")


def test_a_tab_before_a_trailing_comment_is_read_as_kubectl_reads_it(tmp_path, capsys):
    # PyYAML's pure-Python scanner refuses this line; libyaml (CSafeLoader) and kubectl accept it.
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP.replace(
        "data: {a: b}\n", "data:\n  a: b\t# the default\n"))
    code, out, err = _policy(tmp_path, capsys)
    assert (code, _last_line(out), err) == (0, "1 resource, 0 violations (0 mandatory)", "")


def test_a_generate_name_object_is_checked_under_its_prefix(tmp_path, capsys):
    import yaml
    pod = yaml.safe_load(PRIVILEGED)
    pod["metadata"] = {"generateName": "sol-debug-", "namespace": "matrix"}
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(pod))
    code, out, err = _policy(tmp_path, capsys)
    assert (code, err) == (1, "")
    assert "Deployment 'matrix/sol-debug-*' container 'sol' securityContext.privileged (true) must be false or unset." \
        in out
    assert _last_line(out) == "1 resource, 5 violations (5 mandatory)"


def test_an_object_with_neither_name_nor_generate_name_is_skipped_and_listed(tmp_path, capsys):
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: matrix}\n---\n" + CONFIG_MAP)
    code, out, err = _policy(tmp_path, capsys)
    assert (code, err) == (0, "skipped cm.yaml (document 1): ConfigMap without metadata.name or metadata.generateName\n")


def test_the_api_servers_own_objects_in_a_cluster_dump_are_skipped(tmp_path, capsys):
    own = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubernetes", "namespace": "default"},
            "spec": {"type": "ClusterIP", "ports": [{"name": "https", "port": 443, "targetPort": 6443}]}},
           {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "kubernetes", "namespace": "default"},
            "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"name": "https", "port": 6443}]}]},
           {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default"}, "addressType": "IPv4", "endpoints": []}]
    mine = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubernetes", "namespace": "matrix"},
            "spec": {"ports": [{"port": 443}]}}
    (tmp_path / "dump.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": own + [mine]}))
    code, out, err = _policy(tmp_path, capsys)
    assert (code, _last_line(out)) == (0, "1 resource, 0 violations (0 mandatory)")
    assert err.splitlines() == [
        "skipped dump.json items[0]: the API server's own Service (default/kubernetes), not a workload's",
        "skipped dump.json items[1]: the API server's own Endpoints (default/kubernetes), not a workload's",
        "skipped dump.json items[2]: the API server's own EndpointSlice (default/kubernetes), not a workload's",
    ]


def test_broken_json_names_file_and_line(tmp_path, capsys):
    (tmp_path / "live.json").write_text('{"kind": "List",\n "items": [}\n')
    code, _, err = _policy(tmp_path, capsys)
    assert code == 2
    assert err.splitlines()[1] == "  live.json:2: not valid JSON: Expecting value"


def test_nothing_to_check_is_exit_2_not_zero_violations(tmp_path, capsys):
    (tmp_path / "values.yaml").write_text("image: sol\n")
    code, out, err = _policy(tmp_path, capsys)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        f"error: --manifests: '{tmp_path}' (nothing to check: 1 file(s), none holding a Kubernetes object; give "
        "rendered manifests (`stackctl render`, `helm template`, `kustomize build`, `kubectl get -o yaml`))")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = _policy(empty, capsys)
    assert code == 2
    assert "nothing to check: no .yaml/.yml/.json file;" in err


def test_a_policy_that_raises_is_a_mandatory_finding_not_a_crash():
    # The engine fails a run whose policy raises; offline that must not pass silently or crash.
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

    from policies import offline

    def validate(args, report):
        return args.props["spec"]["template"]["replicas"] + 1

    raising = ResourceValidationPolicy(name="raises-on-odd-input", description="test", validate=validate,
                                       enforcement_level=EnforcementLevel.MANDATORY)
    resource = offline.Resource("kubernetes:apps/v1:Deployment", "matrix/d", {"spec": "nonsense"})
    violations = offline.evaluate([resource], {}, "test", [raising])
    assert [(v.policy, v.resource, v.level) for v in violations] == [("raises-on-odd-input", "matrix/d", "mandatory")]
    assert violations[0].message == (
        "policy could not evaluate this resource (TypeError: string indices must be integers, not 'str'); "
        "is the object valid Kubernetes? fix it, or report a bug in the policy.")


def test_render_summaries_and_sol_still_read(tmp_path, capsys):
    (tmp_path / "sol.yaml").write_text(SOL)
    code, out, _ = _policy(tmp_path, capsys)
    assert code == 1  # alone, sol reads a Secret nothing here creates, in a namespace nothing here isolates
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == ["secret-key-coverage"] * 3 + [
        "namespace-default-deny"]

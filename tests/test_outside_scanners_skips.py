"""The outside scanners' skip list (`policies/outside-scanners/skips.yaml`) stays reviewed data.

Offline: every entry names a known scanner, a check id, `Kind/namespace/name`
patterns and a reason; no entry repeats another; a pod that no NetworkPolicy
selects is never skipped. The script's readers of each scanner's JSON and
its matching are tested on small outputs written here. Where a scanner is
installed (`scripts/outside-scanners build`), each of its entries must match a
finding in the current render of staging or prod: an entry that matches
nothing is stale and would hide the next real finding of that name. Without
the scanner that test is skipped with a warning naming the scanner and why.
"""
from __future__ import annotations

import importlib.util
import sys
import warnings
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_script():
    loader = SourceFileLoader("outside_scanners", str(ROOT / "scripts" / "outside-scanners"))
    spec = importlib.util.spec_from_loader("outside_scanners", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["outside_scanners"] = module  # dataclasses look their module up by name
    loader.exec_module(module)
    return module


scanners = _load_script()

# "No NetworkPolicy selects this pod": the gap issue 14 closed, never skipped. (Polaris's
# missingNetworkPolicy asks for one policy of its own shape per pod, so it is skipped by name.)
NEVER_SKIPPED = {
    ("kube-score", "pod-networkpolicy"),
    ("kube-linter", "non-isolated-pod"),
}

VALID_ENTRY = {
    "scanner": "kube-linter",
    "check": "no-anti-affinity",
    "objects": ["Deployment/memql/memql-*"],
    "reason": "False positive: the pods are spread across nodes by a topology spread constraint.",
}
WHERE = "skips[0] (kube-linter no-anti-affinity)"


def problems(*entries: dict) -> list[str]:
    try:
        scanners.parse_skips({"skips": list(entries)})
    except scanners.SkipListError as error:
        return error.problems
    return []


def finding(scanner="kube-linter", check="no-anti-affinity", kind="Deployment", namespace="memql",
            name="memql-bff", detail="object has 2 replicas but does not specify inter pod anti-affinity"):
    return scanners.Finding(scanner, check, kind, namespace, name, detail)


# ---------------------------------------------------------------- the file itself


def test_skip_list_is_well_formed():
    skips = scanners.load_skips()
    assert skips, "the skip list is empty"
    assert {skip.scanner for skip in skips} <= set(scanners.SCANNERS)


def test_every_reason_is_its_own_sentence_not_a_label():
    for skip in scanners.load_skips():
        assert skip.reason.strip().endswith((".", ")")), f"{skip.scanner} {skip.check}: reason is not a sentence"
        assert len(skip.reason.split()) >= scanners.MINIMUM_REASON_WORDS


def test_pods_no_network_policy_selects_are_never_skipped():
    skipped = {(skip.scanner, skip.check) for skip in scanners.load_skips()}
    assert skipped & NEVER_SKIPPED == set(), (
        "a pod no NetworkPolicy selects must stay visible (issue 14): remove "
        f"{sorted(skipped & NEVER_SKIPPED)} from policies/outside-scanners/skips.yaml")


def test_kube_linter_config_excludes_only_the_network_check():
    import yaml

    config = yaml.safe_load(scanners.KUBE_LINTER_CONFIG.read_text())
    assert config == {"checks": {"addAllBuiltIn": True, "exclude": ["schema-validation"]}}


# ---------------------------------------------------------------- validation, one change per case


def test_a_valid_entry_has_no_problem():
    assert problems(VALID_ENTRY) == []
    assert problems({**VALID_ENTRY, "message": "*2 replicas*"}) == []


@pytest.mark.parametrize("change, expected", [
    ({"scanner": "kubelinter"},
     "scanner 'kubelinter' is not one of kube-score, kube-linter, polaris"),
    ({"check": "no anti affinity"}, "check 'no anti affinity' must be the scanner's check id"),
    ({"objects": []}, "objects must be a non-empty list of Kind/namespace/name patterns"),
    ({"objects": "Deployment/memql/memql-bff"}, "objects must be a non-empty list of Kind/namespace/name patterns"),
    ({"reason": "by design"}, "reason must say why, in at least 8 words"),
    ({"reason": None}, "reason must say why, in at least 8 words"),
    ({"message": ""}, "message '' must be a glob pattern on the finding's text"),
])
def test_each_bad_field_is_named(change, expected):
    entry = {**VALID_ENTRY, **change}
    where = f"skips[0] ({entry['scanner']} {entry['check']})"
    assert problems(entry) == [f"{where}: {expected}"]


@pytest.mark.parametrize("pattern", ["memql-bff", "Deployment/memql-bff", "Deployment/a/b/c", "/memql/x"])
def test_an_object_must_be_kind_namespace_name(pattern):
    assert problems({**VALID_ENTRY, "objects": [pattern]}) == [
        f"{WHERE}: object {pattern!r} must be Kind/namespace/name (glob patterns allowed; the namespace "
        "empty for cluster-scoped objects)"]


def test_a_cluster_scoped_object_has_an_empty_namespace():
    assert problems({**VALID_ENTRY, "objects": ["Namespace//forge"]}) == []


def test_missing_and_unknown_keys_are_named():
    without_reason = {key: value for key, value in VALID_ENTRY.items() if key != "reason"}
    assert problems(without_reason) == [f"{WHERE}: missing reason"]
    assert problems({**VALID_ENTRY, "stacks": ["prod"]}) == [
        f"{WHERE}: unknown key(s) stacks (keys: scanner, check, objects, reason, message)"]


def test_an_entry_repeating_another_is_a_duplicate():
    assert problems(VALID_ENTRY, dict(VALID_ENTRY)) == [
        f"skips[1] (kube-linter no-anti-affinity): kube-linter no-anti-affinity Deployment/memql/memql-* "
        f"is already skipped by {WHERE}"]


def test_the_same_check_may_have_other_objects_with_their_own_reason():
    other = {**VALID_ENTRY, "objects": ["Deployment/forge/forge"]}
    assert problems(VALID_ENTRY, other) == []


def test_the_file_must_hold_one_list():
    for data in (None, [], {"skip": []}, {"skips": {}}, {"skips": [], "extra": 1}):
        with pytest.raises(scanners.SkipListError) as raised:
            scanners.parse_skips(data)
        assert raised.value.problems == ["must be a mapping with one key, `skips`, holding a list"]


# ---------------------------------------------------------------- matching


def test_a_skip_matches_scanner_check_object_and_message():
    skip = scanners.parse_skips({"skips": [{**VALID_ENTRY, "message": "*2 replicas*"}]})[0]
    assert skip.matches(finding())
    assert not skip.matches(finding(scanner="kube-score"))
    assert not skip.matches(finding(check="minimum-three-replicas"))
    assert not skip.matches(finding(namespace="forge", name="forge"))
    assert not skip.matches(finding(detail="object has 3 replicas but does not specify inter pod anti-affinity"))


def test_explain_splits_findings_and_names_the_skip():
    skip = scanners.parse_skips({"skips": [VALID_ENTRY]})[0]
    other = finding(check="non-isolated-pod", detail="pods created by this object are non-isolated")
    explained, unexplained = scanners.explain([finding(), other], [skip])
    assert explained == [(finding(), skip)]
    assert unexplained == [other]


def test_unused_patterns_are_reported_per_pattern_and_only_for_the_scanners_run():
    entry = {**VALID_ENTRY, "objects": ["Deployment/memql/memql-*", "Deployment/forge/forge"]}
    skips = scanners.parse_skips({"skips": [entry]})
    assert scanners.unused_patterns(skips, [finding()], ["kube-linter"]) == [(skips[0], "Deployment/forge/forge")]
    assert scanners.unused_patterns(skips, [], ["polaris"]) == []


# ---------------------------------------------------------------- reading each scanner's JSON


def test_kube_score_findings_are_checks_below_all_ok_not_skipped():
    report = [{
        "type_meta": {"kind": "Deployment", "apiVersion": "apps/v1"},
        "object_meta": {"name": "sol", "namespace": "matrix"},
        "checks": [
            {"check": {"id": "container-resources", "name": "Container Resources"}, "grade": 1, "skipped": False,
             "comments": [{"path": "sol", "summary": "CPU limit is not set", "description": "..."}]},
            {"check": {"id": "pod-probes", "name": "Pod Probes"}, "grade": 7, "skipped": False,
             "comments": [{"path": "", "summary": "Container is missing a livenessProbe", "description": ""}]},
            {"check": {"id": "stable-version", "name": "Stable version"}, "grade": 10, "skipped": False,
             "comments": None},
            {"check": {"id": "container-ports-check", "name": "Container Ports Check"}, "grade": 0,
             "skipped": True, "comments": [{"path": "", "summary": "Skipped", "description": ""}]},
            {"check": {"id": "label-values", "name": "Label values"}, "grade": 5, "skipped": False,
             "comments": None},
        ],
    }]
    assert scanners.kube_score_findings(report) == [
        scanners.Finding("kube-score", "container-resources", "Deployment", "matrix", "sol",
                         "(sol) CPU limit is not set"),
        scanners.Finding("kube-score", "pod-probes", "Deployment", "matrix", "sol",
                         "Container is missing a livenessProbe"),
        scanners.Finding("kube-score", "label-values", "Deployment", "matrix", "sol", "Label values"),
    ]


def test_kube_linter_findings_are_its_reports():
    report = {"Checks": [], "Summary": {}, "Reports": [{
        "Diagnostic": {"Message": "pods created by this object are non-isolated"},
        "Check": "non-isolated-pod",
        "Object": {"Metadata": {"FilePath": "x.yaml"}, "K8sObject": {
            "Namespace": "memql", "Name": "memql-bff",
            "GroupVersionKind": {"Group": "apps", "Version": "v1", "Kind": "Deployment"}}},
    }]}
    assert scanners.kube_linter_findings(report) == [scanners.Finding(
        "kube-linter", "non-isolated-pod", "Deployment", "memql", "memql-bff",
        "pods created by this object are non-isolated")]
    assert scanners.kube_linter_findings({"Reports": None}) == []


def test_polaris_findings_are_failed_checks_at_every_level():
    def outcome(check_id, success, message):
        return {check_id: {"ID": check_id, "Message": message, "Success": success, "Severity": "warning"}}

    report = {"Results": [{
        "Name": "chat", "Namespace": "chat", "Kind": "Deployment",
        "Results": outcome("deploymentMissingReplicas", False, "Only one replica is scheduled"),
        "PodResult": {
            "Results": {**outcome("missingNetworkPolicy", False, "A NetworkPolicy should match pod labels"),
                        **outcome("hostIPCSet", True, "Host IPC is not configured")},
            "ContainerResults": [{"Name": "chat", "Results": outcome("cpuLimitsMissing", False,
                                                                     "CPU limits should be set")}],
        },
    }]}
    assert scanners.polaris_findings(report) == [
        scanners.Finding("polaris", "deploymentMissingReplicas", "Deployment", "chat", "chat",
                         "Only one replica is scheduled"),
        scanners.Finding("polaris", "missingNetworkPolicy", "Deployment", "chat", "chat",
                         "A NetworkPolicy should match pod labels"),
        scanners.Finding("polaris", "cpuLimitsMissing", "Deployment", "chat", "chat",
                         "(chat) CPU limits should be set"),
    ]


def test_only_kubernetes_objects_are_scanned(tmp_path):
    rendered = tmp_path / "rendered"
    (rendered / ".stackctl" / "cloud").mkdir(parents=True)
    (rendered / "matrix").mkdir()
    (rendered / ".stackctl" / "cloud" / "azure-native-keyvault-Vault--key-vault-vault").write_text(
        "inputs: {location: x}\n")
    (rendered / ".stackctl" / "outputs").write_text("environment: staging\n")
    # A stray non-object YAML file is skipped too.
    (rendered / "notes.yaml").write_text("environment: staging\n")
    (rendered / "matrix" / "ConfigMap-sol-config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sol-config, namespace: matrix}\n")
    (rendered / "list.json").write_text(
        '{"kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "matrix"}}]}')
    into = tmp_path / "into"
    into.mkdir()
    assert scanners.collect_manifests(rendered, into) == 2
    assert sorted(path.name for path in into.iterdir()) == ["0001-Namespace-matrix.yaml",
                                                            "0002-ConfigMap-sol-config.yaml"]


# ---------------------------------------------------------------- the command line


def test_bad_usage_exits_2(tmp_path, capsys):
    assert scanners.main(["check"]) == 2
    assert scanners.main(["lint", str(tmp_path)]) == 2
    assert scanners.main(["check", str(tmp_path / "absent")]) == 2
    assert "not a directory" in capsys.readouterr().err
    (tmp_path / "outputs.yaml").write_text("environment: staging\n")
    assert scanners.main(["check", str(tmp_path)]) == 2
    assert "no Kubernetes object" in capsys.readouterr().err


# ---------------------------------------------------------------- no stale entries


@pytest.fixture(scope="module")
def installed_scanners():
    return {name: scanners.find_installed(scanner) for name, scanner in scanners.SCANNERS.items()}


@pytest.mark.parametrize("name", list(scanners.SCANNERS))
def test_no_skip_entry_is_stale(name, installed_scanners, rendered):
    installed, why = installed_scanners[name]
    if installed is None:
        message = (f"{name} is not installed, so its entries in policies/outside-scanners/skips.yaml were NOT "
                   f"checked against the render: {why}")
        warnings.warn(message)
        pytest.skip(message)
    directories = [out for _, out in rendered.values()]
    results = scanners.scan(directories, [installed])
    findings = [finding for by_scanner in results.values() for finding in by_scanner[name]]
    stale = [f"{skip.check} {pattern}" + ("" if skip.message == "*" else f" (message {skip.message!r})")
             for skip, pattern in scanners.unused_patterns(scanners.load_skips(), findings, [name])]
    assert stale == [], (f"{name} {installed.version}: these skip entries match no finding in the render of "
                         "staging or prod; remove them (the finding is gone) or fix the pattern")

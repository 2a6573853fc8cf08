"""Cross-check with checkov: every fault checkov finds in the bad corpus, the pack finds too.

`policies/corpus/good/` is a clean baseline; each `policies/corpus/bad/*.yaml`
repeats one baseline object (or adds one) with exactly one fault, and its header
says which pack policies must report it (`# pack:`) and which checkov checks do
(`# checkov:`). checkov runs once over the corpus through `policies/checkov/run`
(offline, reviewed skip list). CHECKOV_SCOPE maps each checkov check seen to
the pack policy that covers the same fault; a check checkov starts reporting
that is not mapped fails the test, so the scope stays a reviewed decision.
checkov lives in its own virtualenv (.venv-checkov); without it these tests
are skipped, and CI installs it (scripts/bootstrap).
"""
import json
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from policies import offline

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "policies" / "corpus"
RUN = ROOT / "policies" / "checkov" / "run"
PROD = json.loads((ROOT / "policies" / "config" / "prod.json").read_text())
NO_OPTIONS_IN_YAML = {"persistent-volume-claim-protected": "disabled"}

CHECKOV_SCOPE = {
    "CKV_K8S_8": "single-writer-liveness-probe",  # liveness probe (the pack: single writers, which must be restarted when hung)
    "CKV_K8S_10": "container-resources",          # CPU requests
    "CKV_K8S_12": "container-resources",          # memory requests
    "CKV_K8S_13": "container-resources",          # memory limits
    "CKV_K8S_14": "image-pinned-by-digest",       # tag not latest or blank
    "CKV_K8S_15": "image-pinned-by-digest",       # pull policy Always (moot for a digest)
    "CKV_K8S_43": "image-pinned-by-digest",       # image by digest
    "CKV_K8S_16": "pod-security-restricted",      # privileged
    "CKV_K8S_17": "pod-security-restricted",      # hostPID
    "CKV_K8S_18": "pod-security-restricted",      # hostIPC
    "CKV_K8S_19": "pod-security-restricted",      # hostNetwork
    "CKV_K8S_20": "pod-security-restricted",      # allowPrivilegeEscalation
    "CKV_K8S_23": "pod-security-restricted",      # root containers
    "CKV_K8S_25": "pod-security-restricted",      # added capabilities
    "CKV_K8S_26": "pod-security-restricted",      # hostPort
    "CKV_K8S_27": "pod-security-restricted",      # docker socket (a hostPath)
    "CKV_K8S_28": "pod-security-restricted",      # NET_RAW not dropped
    "CKV_K8S_31": "pod-security-restricted",      # seccomp
    "CKV_K8S_37": "pod-security-restricted",      # capabilities not all dropped
    "CKV_K8S_39": "pod-security-restricted",      # SYS_ADMIN
    "CKV_K8S_22": "read-only-root-filesystem",
    "CKV_K8S_21": "not-default-namespace",
    "CKV_K8S_38": "service-account-token-not-mounted",
    "CKV_K8S_152": "ingress-no-snippet-annotations",  # snippets with Lua or alias
    "CKV_K8S_153": "ingress-no-snippet-annotations",  # any snippet
    "CKV_K8S_49": "rbac-no-wildcard",
    "CKV_K8S_157": "rbac-no-privilege-escalation-verbs",  # bind
    "CKV_K8S_158": "rbac-no-privilege-escalation-verbs",  # escalate
    "CKV_K8S_42": "rbac-no-default-service-account-binding",
}
BAD_FILES = sorted((CORPUS / "bad").glob("*.yaml"))


def _checkov_found() -> bool:
    if os.environ.get("CHECKOV"):
        return True
    return (ROOT / ".venv-checkov" / "bin" / "checkov").exists() or shutil.which("checkov") is not None


# In CI (CI=true) a missing checkov is a failure, not a skip: bootstrap installs it.
pytestmark = pytest.mark.skipif(not _checkov_found() and not os.environ.get("CI"), reason="checkov is not installed (scripts/bootstrap creates "
                                                              ".venv-checkov with it); the cross-check needs it")


def header(path: Path, key: str) -> set[str]:
    for line in path.read_text().splitlines():
        if line.startswith(f"# {key}:"):
            value = line.split(":", 1)[1].strip()
            return set() if value == "none" else {part.strip() for part in value.split(",")}
    raise AssertionError(f"{path.name} has no '# {key}:' header")


@pytest.fixture(scope="module")
def checkov_failures() -> dict[str, set[str]]:
    """'good/<file>' or 'bad/<file>' -> ids of the checks checkov fails there."""
    result = subprocess.run([str(RUN), "policies/corpus", "-o", "json"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    failures: dict[str, set[str]] = defaultdict(set)
    for report in reports if isinstance(reports, list) else [reports]:
        for check in report.get("results", {}).get("failed_checks", []):
            path = Path(check["file_path"])
            failures[f"{path.parent.name}/{path.name}"].add(check["check_id"])
    return failures


def pack_policies_flagging(path: Path) -> set[str]:
    resources = offline.overlay(offline.corpus_resources(), *offline.load_manifests(path))
    return {violation.policy for violation in offline.evaluate(resources, {**PROD, **NO_OPTIONS_IN_YAML}, "prod")}


def test_good_baseline_is_clean_for_checkov_and_the_pack(checkov_failures):
    assert {name: ids for name, ids in checkov_failures.items() if name.startswith("good/")} == {}
    assert offline.evaluate(offline.corpus_resources(), {**PROD, **NO_OPTIONS_IN_YAML}, "prod") == []


def test_checkov_finds_faults_in_the_corpus(checkov_failures):
    # guards against a vacuous pass (checkov output not parsed, corpus not scanned)
    expected = {f"bad/{path.name}" for path in BAD_FILES if header(path, "checkov")}
    assert len(expected) >= 19
    assert {name for name in checkov_failures if name.startswith("bad/")} == expected


@pytest.mark.parametrize("path", BAD_FILES, ids=[path.stem for path in BAD_FILES])
def test_pack_flags_every_in_scope_fault_checkov_flags(path, checkov_failures):
    flagged_by_checkov = checkov_failures.get(f"bad/{path.name}", set())
    flagged_by_pack = pack_policies_flagging(path)
    assert flagged_by_checkov == header(path, "checkov")
    assert flagged_by_pack == header(path, "pack"), "exactly one fault per file, reported by the declared policies"
    for check_id in sorted(flagged_by_checkov):
        assert check_id in CHECKOV_SCOPE, f"checkov {check_id} on {path.name}: map it in CHECKOV_SCOPE or skip it"
        assert CHECKOV_SCOPE[check_id] in flagged_by_pack, f"{check_id} is in scope but the pack missed it"


@pytest.mark.skipif(shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0,
                    reason="needs `unshare -n` (root) to cut the network")
def test_checkov_runs_without_network():
    result = subprocess.run(["unshare", "-n", str(RUN), "policies/corpus/good"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed checks: 0" in result.stdout

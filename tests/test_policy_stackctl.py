"""`python -m stackctl policy`: YAML and stack-under-mocks inputs, the table, the exit status."""
import json
import types
from pathlib import Path

import pytest

from stackctl import __main__ as stackctl
from stackctl import policy as policy_verb

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "policies" / "corpus"


def test_good_manifests_exit_zero(capsys):
    assert stackctl.main(["policy", "--manifests", str(CORPUS / "good")]) == 0
    assert capsys.readouterr().out == "28 resources, 0 violations (0 mandatory)\n"


def test_bad_manifest_prints_the_table_and_exits_one(tmp_path, capsys):
    (tmp_path / "sol.yaml").write_text((CORPUS / "bad" / "privileged.yaml").read_text())
    assert stackctl.main(["policy", "--manifests", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["POLICY", "RESOURCE", "LEVEL", "MESSAGE"]
    assert lines[1].split(None, 3) == [
        "pod-security-restricted", "matrix/sol", "mandatory",
        "Deployment 'matrix/sol' container 'sol' securityContext.privileged (true) must be false or unset."]
    # alone, the Deployment also reads a Secret that no source in this directory creates, in a
    # namespace that no NetworkPolicy in this directory isolates
    assert [line.split()[0] for line in lines[2:-1]] == ["secret-key-coverage"] * 3 + ["namespace-default-deny"]
    assert lines[-1] == "1 resource, 5 violations (5 mandatory)"


def test_advisory_violations_do_not_fail(tmp_path, capsys):
    (tmp_path / "ingress.yaml").write_text((CORPUS / "bad" / "ingress-no-tls.yaml").read_text())
    # The Ingress alone routes to a Service outside the scan (route-backend-exists, mandatory): disabled
    # here, so that only the advisory ingress-tls finding is left.
    config = tmp_path / "staging.json"
    config.write_text(json.dumps({**json.loads((ROOT / "policies" / "config" / "staging.json").read_text()),
                                  "route-backend-exists": "disabled"}))
    assert stackctl.main(["policy", "--manifests", str(tmp_path), "--config", str(config)]) == 0
    assert "advisory" in capsys.readouterr().out


def _fake_render(monkeypatch, registered):
    render = pytest.importorskip("stackctl.render")
    monkeypatch.setattr(render, "collect_resources",
                        lambda stack, config_file=None, root=None: types.SimpleNamespace(resources=registered, warnings=[]))


def _registered(manifest, protect):
    from policies import offline
    resource = offline.resource_from_manifest(manifest)
    return types.SimpleNamespace(type=resource.resource_type, name=resource.name, urn=f"urn:{resource.name}",
                                 inputs=manifest, protect=protect, retain_on_delete=protect,
                                 delete_before_replace=False, parent="")


def test_stack_mode_evaluates_registered_resources_with_their_options(monkeypatch, capsys):
    from policies import offline
    claim = offline.corpus_manifest("PersistentVolumeClaim", "matrix/sol-data")
    _fake_render(monkeypatch, [_registered(claim, protect=False)])
    assert stackctl.main(["policy", "prod"]) == 1
    out = capsys.readouterr().out
    assert "persistent-volume-claim-protected" in out and out.endswith(
        f"1 resource, 1 violation (1 mandatory), config {ROOT / 'policies' / 'config' / 'prod.json'}\n")
    _fake_render(monkeypatch, [_registered(claim, protect=True)])
    assert stackctl.main(["policy", "prod"]) == 0


@pytest.mark.parametrize("argv, error", [
    (["policy"], "error: stackctl policy: neither STACK nor --manifests (give either STACK (the program "
                 "under mocks) or --manifests PATH, not both)\n"),
    (["policy", "staging", "--manifests", "x"], "error: stackctl policy: both STACK and --manifests (give either "
                                                 "STACK (the program under mocks) or --manifests PATH, not both)\n"),
    (["policy", "--manifests", "/nonexistent"], "error: --manifests: '/nonexistent' (does not exist; give a "
                                                 "directory of YAML/JSON manifests or one manifest file)\n"),
    (["policy", "nosuch"], "error: stack: 'nosuch' (has no policy config policies/config/nosuch.json; "
                           "give one with --config FILE)\n"),
])
def test_bad_input_exits_two(argv, error, capsys):
    assert stackctl.main(argv) == 2
    assert capsys.readouterr().err == error


def test_real_program_renders_policy_clean_for_prod(capsys):
    pytest.importorskip("components.stack")
    assert policy_verb.run(types.SimpleNamespace(stack="prod", manifests=None, config=None, root=None,
                                                 output="text")) == 0

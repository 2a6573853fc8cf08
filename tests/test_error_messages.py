"""Messages that leave nothing to guess: line numbers, the project's own words, the stacks that exist, "did you
mean", the first line of stderr naming the first problem, each warning once."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config_models.base import ConfigError
from config_models.release_ledger import read_ledger
from stack_file_edits import edit_stack_file

ROOT = Path(__file__).resolve().parent.parent


def stackctl(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    completed = subprocess.run([sys.executable, "-m", "stackctl", *argv], cwd=cwd, capture_output=True, text=True,
                               timeout=300)
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def test_a_yaml_error_in_the_ledger_names_its_line(tmp_path):
    ledger = tmp_path / "staging-verified.yaml"
    ledger.write_text("releases:\n  - component: sol\n    image: [unclosed\n    stack: staging\n")
    with pytest.raises(ConfigError) as raised:
        read_ledger(ledger)
    assert raised.value.problems == [
        f"release.promotionGate.ledger: '{ledger}' is not valid YAML: line 4, column 10: expected ',' or ']', but "
        "got ':', while parsing a flow sequence started at line 3 (fix the YAML syntax there)"]


def test_a_duplicate_key_in_the_ledger_is_in_the_projects_words(tmp_path):
    ledger = tmp_path / "staging-verified.yaml"
    ledger.write_text("releases:\n  - component: sol\n    component: forge\n")
    with pytest.raises(ConfigError) as raised:
        read_ledger(ledger)
    assert raised.value.problems == [
        f"release.promotionGate.ledger: '{ledger}' is not valid YAML: line 3, column 5: key 'component' appears "
        "twice in one mapping (values 'sol' and 'forge'); YAML keeps only one of them (remove the one you did not "
        "mean)"]
    assert "suppress" not in raised.value.problems[0]


def test_a_tab_in_a_stack_file_names_its_line_and_the_fix(tmp_path):
    from stack_checks.load import read_stack_file

    stack_file = tmp_path / "Pulumi.staging.yaml"
    stack_file.write_text("config:\n  platform:environment: staging\n\tplatform:services: {}\n")
    with pytest.raises(ConfigError) as raised:
        read_stack_file(stack_file)
    assert raised.value.problems == [
        f"{stack_file}: line 3, column 1: found character '\\t' that cannot start any token (indent with spaces; "
        "YAML does not allow tabs)"]


def test_an_unknown_stack_lists_the_stacks(tmp_path):
    completed = stackctl("render", "stagng", "--out", str(tmp_path / "out"))
    assert (completed.returncode, completed.stderr) == (
        2, f"error: stack: 'stagng' (has no Pulumi.stagng.yaml in {ROOT} (stacks: prod, staging))\n")


def test_a_wrong_root_is_named(tmp_path):
    completed = stackctl("parity", "staging", "prod", "--root", str(tmp_path))
    assert (completed.returncode, completed.stderr) == (
        2, f"error: --root: '{tmp_path}' (holds no Pulumi.yaml; give the project directory (the one with "
           "Pulumi.yaml and the Pulumi.<stack>.yaml files))\n")
    (tmp_path / "Pulumi.yaml").write_text("name: platform\n")
    completed = stackctl("policy", "staging", "--root", str(tmp_path))
    assert (completed.returncode, completed.stderr) == (
        2, f"error: stack: 'staging' (has no Pulumi.staging.yaml in --root {tmp_path} (stacks: none); check "
           "--root)\n")


@pytest.mark.parametrize("key, typed, meant", [
    ("services.sol.data", "mountpath", "mountPath"),
    ("services.memql-bff.probes", "readyness", "readiness"),
    ("routing", "tsl", "tls"),
    ("routing.routes.chat.forwardAuth", "singinPath", "signinPath"),
])
def test_a_misspelt_key_gets_the_closest_valid_key(key, typed, meant, scratch_project):
    from stack_checks.load import load_stack

    def edit(config):
        node = config
        for part in key.split("."):
            node = node[part]
        node[typed] = node.pop(meant, "x")
    bad = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "bad.yaml", edit)
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, "staging", bad)
    assert f"{key}.{typed}: unknown key (did you mean {meant!r}? every key is in docs/config.md)" in \
        raised.value.problems


def test_a_key_like_no_other_gets_no_guess(scratch_project):
    from stack_checks.load import load_stack

    bad = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "bad.yaml",
                          lambda config: config["services"]["sol"].update({"xyzzy": 1}))
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, "staging", bad)
    assert raised.value.problems == [
        "services.sol.xyzzy: unknown key (remove it or check its spelling; every key is in docs/config.md)"]


def test_the_first_line_of_stderr_is_the_first_problem_and_each_warning_shows_once(scratch_project):
    def edit(config):
        config["namespaces"]["kube-system"] = {}
        config["services"]["forge"]["probes"]["readiness"]["httpGet"]["port"] = "web"
    bad = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "bad.yaml", edit)
    completed = stackctl("render", "staging", "--config-file", str(bad), "--out", str(scratch_project / "out"))
    assert completed.returncode == 2
    lines = completed.stderr.splitlines()
    assert lines[0].startswith("error: namespaces.kube-system: 'kube-system' is owned by the cluster")
    assert lines[1].startswith("error: services.forge.probes.readiness.httpGet.port: 'web' is not a port")
    assert lines[2] == f"invalid config in {bad}; nothing was rendered (2 problems)"

    warned = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "warned.yaml",
                             lambda config: config["services"]["memql-bff"]["egress"][0].pop("allowAnyAddress"))
    completed = stackctl("render", "staging", "--config-file", str(warned), "--out", str(scratch_project / "out"))
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ("warning: services.memql-bff.egress[0].cidrs: ['0.0.0.0/0'] reaches any public "
                                "address without allowAnyAddress on rule 'database' (prod refuses this)\n")

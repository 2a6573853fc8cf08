"""Every verb: the documented exit codes, `error: <what>: <value> (<fix>)` lines, and no traceback.

An internal error is one line naming the verb and the exception, a note that
it is a bug, and exit 70; `--debug` adds the traceback.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stackctl import __main__ as stackctl
from stackctl.errors import EXIT_CODES_HELP

ROOT = Path(__file__).resolve().parent.parent


def _run(argv, capsys):
    code = stackctl.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("verb", [None, "render", "promote", "parity", "policy", "bench", "drift"])
def test_help_of_every_verb_documents_the_exit_codes(verb, capsys):
    code, out, _ = _run(([verb] if verb else []) + ["--help"], capsys)
    assert code == 0
    assert EXIT_CODES_HELP in out


def test_readme_documents_the_same_exit_codes():
    readme = (ROOT / "README.md").read_text()
    for line in EXIT_CODES_HELP.splitlines()[1:]:
        assert line.strip() in readme, line


@pytest.mark.parametrize("argv, message", [
    (["bogus"], "error: stackctl: argument verb: invalid choice: 'bogus' (choose from 'render', 'promote', "
                "'parity', 'policy', 'bench', 'drift', 'schema', 'verify', 'risk', 'local') (see `stackctl --help`)"),
    (["render"], "error: stackctl render: the following arguments are required: stack, --out "
                 "(see `stackctl render --help`)"),
    (["render", "../etc", "--out", "x"], "error: stackctl render: argument stack: '../etc' is not a stack name "
                                          "(letters, digits, '-', '_' and '.', e.g. staging or prod) "
                                          "(see `stackctl render --help`)"),
    (["bench", "--sizes", "0"], "error: stackctl bench: argument --sizes: 0 is out of range (1 to 5000) "
                                "(see `stackctl bench --help`)"),
    (["bench", "--repeat", "x"], "error: stackctl bench: argument --repeat: 'x' is not a whole number "
                                 "(see `stackctl bench --help`)"),
    (["parity", "staging", "staging"], "error: STACK_B: 'staging' (is STACK_A again; parity compares two different "
                                       "stacks, e.g. `stackctl parity staging prod`)"),
    (["promote", "--from", "staging", "--to", "staging"], "  --from and --to are both 'staging'; promote between "
                                                          "two stacks"),
    (["drift", "nosuch", "--live", "/nonexistent.json"], "error: --live: '/nonexistent.json' (cannot be read (No "
                                                         "such file or directory); give the file `kubectl get "
                                                         "deployments,statefulsets,cronjobs,jobs --all-namespaces "
                                                         "-o json` wrote)"),
    (["policy", "--manifests", str(ROOT / "README.md")], "error: --manifests: '" + str(ROOT / "README.md")
     + "' (is not a .yaml/.yml/.json file; give a manifest file or a directory of them)"),
])
def test_usage_and_input_errors_exit_2_with_one_clear_line(argv, message, capsys):
    code, out, err = _run(argv, capsys)
    assert code == 2
    assert message in err.splitlines(), err
    assert "Traceback" not in err and out == ""


def test_a_missing_stack_file_is_bad_input(tmp_path, capsys):
    code, _, err = _run(["render", "nosuch", "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    assert err == ("error: invalid config in Pulumi.nosuch.yaml; nothing was rendered:\n"
                   f"  {ROOT / 'Pulumi.nosuch.yaml'}: cannot be read (No such file or directory)\n")
    assert not (tmp_path / "out").exists()


def test_an_internal_error_is_one_line_exit_70_and_the_traceback_only_with_debug(monkeypatch, capsys):
    from stackctl import render

    def broken(*args, **kwargs):
        raise KeyError("resources")
    monkeypatch.setattr(render, "render_stack", broken)
    code, out, err = _run(["render", "staging", "--out", "/tmp/never-written"], capsys)
    assert code == 70
    assert err == ("stackctl render: internal error: KeyError: 'resources'\n"
                   "this is a bug in stackctl, not in your input; please report it with the output of "
                   "`stackctl --debug render ...`\n")
    code, _, err = _run(["--debug", "render", "staging", "--out", "/tmp/never-written"], capsys)
    assert code == 70
    assert "Traceback (most recent call last):" in err and "raise KeyError(\"resources\")" in err


def test_the_process_exit_status_is_the_code(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "stackctl", "drift", "staging", "--live", str(tmp_path)],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert completed.stderr == (f"error: --live: '{tmp_path}' (cannot be read (Is a directory); give the file "
                                "`kubectl get deployments,statefulsets,cronjobs,jobs --all-namespaces -o json` "
                                "wrote)\n")


def test_a_stack_file_that_is_not_text_is_bad_input(tmp_path, capsys):
    stack_file = tmp_path / "Pulumi.staging.yaml"
    stack_file.write_bytes(b"\xff\xfe\x00config")
    code, _, err = _run(["render", "staging", "--config-file", str(stack_file), "--out", str(tmp_path / "out")],
                        capsys)
    assert code == 2
    assert err == (f"error: invalid config in {stack_file}; nothing was rendered:\n"
                   f"  {stack_file}: is not UTF-8 text (byte 0); a stack file is YAML text\n")
    code, _, err = _run(["promote", "--from", "staging", "--to", "prod", "--root", str(tmp_path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert "stack staging (Pulumi.staging.yaml): not UTF-8" in err


def test_json_nested_too_deeply_is_bad_input_not_an_internal_error(tmp_path, capsys):
    deep = tmp_path / "live.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = _run(["drift", "staging", "--live", str(deep)], capsys)
    assert (code, err) == (2, f"error: --live: '{deep}' (is JSON nested too deeply to be kubectl output; give "
                              "`kubectl get deployments,statefulsets,cronjobs,jobs --all-namespaces -o json`)\n")
    code, _, err = _run(["policy", "--manifests", str(deep)], capsys)
    assert code == 2 and "live.json: JSON nested too deeply to read" in err

"""scripts/secret-operators: bad use is refused before anything is built or started."""
from __future__ import annotations

import subprocess

SCRIPT = "scripts/secret-operators"


def _run(project_root, tmp_path, *args, **extra_env):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "STACKCTL_CLUSTER_DIR": str(tmp_path / "no-cluster"),
           "STACKCTL_CACHE_DIR": str(tmp_path / "cache"), **extra_env}
    return subprocess.run([str(project_root / SCRIPT), *args], cwd=project_root, env=env,
                          capture_output=True, text=True, timeout=60)


def test_an_unknown_verb_prints_the_usage_and_exits_2(project_root, tmp_path):
    completed = _run(project_root, tmp_path, "start")
    assert completed.returncode == 2
    assert completed.stderr == f"usage: {project_root / SCRIPT} build|up|down|env|status\n"


def test_up_without_a_cluster_names_the_state_directory_and_builds_nothing(project_root, tmp_path):
    completed = _run(project_root, tmp_path, "up")
    assert completed.returncode == 1
    assert completed.stderr == (f"secret-operators: error: no cluster in {tmp_path / 'no-cluster'}: start one with "
                                "scripts/local-cluster up (same STACKCTL_CLUSTER_DIR)\n")
    assert not (tmp_path / "cache").exists()


def test_up_with_a_missing_kubeconfig_names_the_variable_and_builds_nothing(project_root, tmp_path):
    completed = _run(project_root, tmp_path, "up",
                     STACKCTL_SECRET_OPERATORS_KUBECONFIG=str(tmp_path / "missing.kubeconfig"))
    assert completed.returncode == 1
    assert completed.stderr == (
        f"secret-operators: error: STACKCTL_SECRET_OPERATORS_KUBECONFIG: no file {tmp_path / 'missing.kubeconfig'} "
        "(name the kubeconfig of a running cluster, or unset it to use scripts/local-cluster's)\n")
    assert not (tmp_path / "cache").exists()


def test_down_and_status_with_nothing_running(project_root, tmp_path):
    down = _run(project_root, tmp_path, "down")
    assert down.returncode == 0 and down.stderr == "secret-operators: stopped\n"
    status = _run(project_root, tmp_path, "status")
    assert status.returncode == 1
    assert status.stdout == "vault-secrets-operator   not running\nexternal-secrets         not running\n"


def test_the_cache_is_keyed_by_both_versions_and_the_provider_set(project_root, tmp_path):
    completed = _run(project_root, tmp_path, "env")
    assert completed.returncode == 0
    assert completed.stdout == (f"export STACKCTL_SECRET_OPERATORS_DIR={tmp_path}/cache/secret-operators/"
                                "vso-v0.10.0-eso-v0.20.4-providers-vault-azure_keyvault-fake-kubernetes\n")

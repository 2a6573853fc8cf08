"""The pack guards what the components did not build: a raw, hardened-off Deployment added to the program."""
from __future__ import annotations

import shutil
import subprocess
import sys

RAW_DEPLOYMENT = '''

# Added by hand, bypassing the components: every default turned off.
import pulumi_kubernetes as k8s

k8s.apps.v1.Deployment(
    "raw-worker",
    metadata={"name": "raw-worker", "namespace": "default"},
    spec={
        "replicas": 3,
        "strategy": {"type": "RollingUpdate"},
        "selector": {"matchLabels": {"app": "raw-worker"}},
        "template": {
            "metadata": {"labels": {"app": "raw-worker"}},
            "spec": {
                "hostNetwork": True,
                "containers": [{
                    "name": "worker",
                    "image": "registry.sunbeam.pt/studio/worker:latest",
                    "securityContext": {"privileged": True, "runAsUser": 0, "allowPrivilegeEscalation": True},
                    "env": [{"name": "API_TOKEN", "value": "hunter2"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                }],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "sol-data"}}],
            },
        },
    },
)
'''


def test_raw_deployment_in_a_scratch_copy_is_caught_with_each_broken_rule(tmp_path, project_root):
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(project_root / name, tmp_path / name)
    shutil.copytree(project_root / "config", tmp_path / "config")
    shutil.copytree(project_root / "releases", tmp_path / "releases")
    with (tmp_path / "__main__.py").open("a") as program:
        program.write(RAW_DEPLOYMENT)

    completed = subprocess.run(
        [sys.executable, "-m", "stackctl", "policy", "prod", "--root", str(tmp_path)],
        cwd=project_root, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    flagged = {line.split()[0] for line in completed.stdout.splitlines()
               if "raw-worker" in line and line.split()[0] != "POLICY"}
    assert flagged >= {
        "image-pinned-by-digest",
        "single-writer-deployment",
        "pod-security-restricted",
        "read-only-root-filesystem",
        "container-resources",
        "service-account-token-not-mounted",
        "no-literal-secret-values",
        "not-default-namespace",
    }, completed.stdout
    # The program's own resources stay clean: only the raw Deployment is reported.
    assert all("raw-worker" in line for line in completed.stdout.splitlines()[1:]
               if " mandatory " in line), completed.stdout


def test_the_unmodified_program_passes_the_prod_pack(project_root):
    completed = subprocess.run([sys.executable, "-m", "stackctl", "policy", "prod"],
                               cwd=project_root, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 violations (0 mandatory)" in completed.stdout

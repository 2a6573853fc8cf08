"""`stackctl parity staging prod` on the repository's stacks, and on a copy whose prod drops a resource."""
from __future__ import annotations

import subprocess
import sys

from stack_file_edits import edit_stack_file


def _parity(project_root, root):
    return subprocess.run([sys.executable, "-m", "stackctl", "parity", "staging", "prod", "--root", str(root)],
                          cwd=project_root, capture_output=True, text=True, timeout=300)


def test_repository_stacks_differ_only_by_config(project_root):
    completed = _parity(project_root, project_root)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("parity staging prod: ok")


def test_prod_without_a_route_fails_parity_naming_the_missing_resource(scratch_project, project_root):
    def drop_audio_route(config):
        # A route no service refers to (${route.memql-audio.*}): the config stays valid.
        del config["routing"]["routes"]["memql-audio"]
    edit_stack_file(scratch_project / "Pulumi.prod.yaml", scratch_project / "Pulumi.prod.yaml", drop_audio_route)
    completed = _parity(project_root, scratch_project)
    assert completed.returncode == 1
    assert "  networking.k8s.io/v1 Ingress memql/memql-audio: (resource): present != <absent>\n" in completed.stdout
    # The route's Ingress, and the voice pods' derived ingress allow from the controller with it.
    assert "2 differences beyond config values (left is staging, right is prod)" in completed.stdout
    assert "NetworkPolicy memql/memql-voice-ingress" in completed.stdout
    assert "error:" not in completed.stdout + completed.stderr

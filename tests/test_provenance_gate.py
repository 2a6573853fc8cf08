"""The in-engine provenance gate: prod's preview fails on a digest staging does not run."""
from __future__ import annotations

import subprocess
import sys

from components.provenance_gate import provenance_mismatches

OLD = "registry.example.com/a/sol@sha256:" + "1" * 64
NEW = "registry.example.com/a/sol@sha256:" + "2" * 64


def test_matching_digests_pass():
    assert provenance_mismatches({"sol": OLD}, {"sol": OLD, "other": NEW}, "org/platform/staging") == []


def test_mismatch_names_the_component_and_both_digests():
    assert provenance_mismatches({"sol": NEW}, {"sol": OLD}, "org/platform/staging") == [
        f"release.images.sol.image: prod would deploy {NEW} but staging (org/platform/staging) runs {OLD} "
        "(promote with `stackctl promote --from staging --to prod`)"]


def test_staging_without_outputs_fails_closed():
    assert provenance_mismatches({"sol": NEW}, None, "org/platform/staging") == [
        "release.promotionGate.stagingStack: stack 'org/platform/staging' exports no releaseDigests "
        "(deploy staging first; prod may only run what staging runs)"]


def test_prod_render_fails_when_prod_holds_a_digest_staging_does_not_run(scratch_project, project_root):
    prod = scratch_project / "Pulumi.prod.yaml"
    staging_sol = "be539f2bd0ce7b4a99a4dd1ebe22954331a5e1cb7f53152f95e7315914eb0317"
    prod.write_text(prod.read_text().replace(staging_sol, "f" * 64))
    completed = subprocess.run(
        [sys.executable, "-m", "stackctl", "render", "prod", "--config-file", str(prod),
         "--out", str(scratch_project / "out")],
        cwd=project_root, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert (f"release.images.sol.image: prod would deploy registry.sunbeam.pt/studio/sol@sha256:{'f' * 64} but "
            f"staging (organization/platform/staging) runs registry.sunbeam.pt/studio/sol@sha256:{staging_sol}"
            in completed.stderr)
    assert not (scratch_project / "out").exists()

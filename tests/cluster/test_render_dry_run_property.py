"""Property, with the API server as oracle: nothing render accepts fails a server-side dry run.

The configs are the near-valid ones of `tests/near_valid_configs.py`, seeded from both stacks. Each one the
config check accepts is rendered under the mock runtime, held to the offline oracle
(`render_reference_oracle`), and applied with `kubectl apply --server-side --dry-run=server` with the CRDs of
the custom kinds installed (the `crds` fixture). Only the namespaces are created for real (a namespaced dry run
needs its namespace); the ones this module creates are deleted when it ends, and namespaces that already exist
(another test's stack) are left alone.

Bounded: STACKCTL_DRY_RUN_EXAMPLES per seed (default 50), a fixed seed and a random one, printed; replay one
with STACKCTL_PROPERTY_SEED. hypothesis shrinks a failure to the fewest, simplest edits.
"""
from __future__ import annotations

import os
import random

import pytest
import yaml
from cluster_support import FIELD_MANAGER
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from config_models.base import ConfigError
from stack_checks.load import parse_stack_config
from near_valid_configs import ROOT, ALWAYS_TRIED, edited_values, edits
from render_reference_oracle import oracle_problems

EXAMPLES = int(os.environ.get("STACKCTL_DRY_RUN_EXAMPLES", "50"))
FIXED_SEED = 20261205
TALLY = {"tried": 0, "accepted": 0}


@pytest.fixture(scope="module")
def created_namespaces(kubectl):
    created: list[str] = []
    yield created
    if created:
        kubectl("delete", "namespace", *created, "--ignore-not-found", "--wait=true", "--timeout=180s", timeout=240)


def _dry_run(kubectl, documents: list[dict], created: list[str], scratch) -> None:
    for document in documents:
        name = document["metadata"]["name"]
        if document["kind"] == "Namespace" and name not in created and \
                kubectl("get", "namespace", name, check=False).returncode != 0:
            kubectl("create", "namespace", name)
            created.append(name)
    manifest = scratch / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all(documents, sort_keys=True))
    proc = kubectl("apply", "--server-side", "--dry-run=server", "--force-conflicts",
                   f"--field-manager={FIELD_MANAGER}-property", "-f", str(manifest), check=False, timeout=300)
    assert proc.returncode == 0, f"the API server refused what render accepted:\n{proc.stderr}"


@pytest.mark.parametrize("which", ["fixed", "random"])
def test_nothing_render_accepts_fails_a_server_side_dry_run(which, kubectl, crds, created_namespaces,
                                                             tmp_path, capsys):
    from stackctl.render import run_program_file

    seed_value = FIXED_SEED if which == "fixed" else int(
        os.environ.get("STACKCTL_PROPERTY_SEED") or random.SystemRandom().randrange(2**32))
    with capsys.disabled():
        print(f"\ndry-run property seed ({which}): {seed_value} (replay: STACKCTL_PROPERTY_SEED={seed_value})")
    before = dict(TALLY)

    @seed(seed_value)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @example(stack="staging", chosen=ALWAYS_TRIED)
    @given(stack=st.sampled_from(["staging", "prod"]), chosen=st.lists(edits(), min_size=1, max_size=3))
    def run(stack, chosen):
        values = edited_values(stack, chosen)
        TALLY["tried"] += 1
        try:
            config, _ = parse_stack_config(values, ROOT)
        except ConfigError:
            return
        TALLY["accepted"] += 1
        result = run_program_file(ROOT / "__main__.py", stack, values)
        documents = [resource.inputs for resource in result.resources if resource.type.startswith("kubernetes:")]
        assert oracle_problems(documents, config) == []
        _dry_run(kubectl, documents, created_namespaces, tmp_path)

    run()
    tried, accepted = TALLY["tried"] - before["tried"], TALLY["accepted"] - before["accepted"]
    with capsys.disabled():
        print(f"dry-run property ({which} seed {seed_value}): {tried} configs tried, {accepted} accepted, "
              "rendered and dry-run on the API server")
    assert accepted > 0, "no generated config was accepted: the property checked nothing"

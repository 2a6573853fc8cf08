"""Property: every config render accepts renders objects that work together (`render_reference_oracle`).

hypothesis builds valid and near-valid configs from both stacks by the edits
a person makes (renaming a service, pointing a probe, a forward-auth URL, a
talksTo or an egress rule somewhere, adding a namespace, a CronJob, a
migration, a claim, a port; switching routing to the Gateway API). Each one
the config check refuses is counted; each one it accepts is rendered under
the mock runtime and must pass the oracle: names within the API server's
limits, schemas, every reference resolved, every declared flow allowed.
Anything but a ConfigError on the way is a bug.

Bounded: STACKCTL_PROPERTY_EXAMPLES examples per seed (default 10), once with
a fixed seed and once with a random one, printed so a failure can be replayed
(STACKCTL_PROPERTY_SEED). The cluster step runs the same configs 200 times
with the API server's dry run added (`cluster/test_render_dry_run_property.py`).
hypothesis shrinks a failure to the fewest, simplest edits.
"""
from __future__ import annotations

import copy
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from config_models.base import ConfigError
from stack_checks.load import parse_stack_config
from near_valid_configs import ALWAYS_TRIED, edited_values, edits
from render_reference_oracle import oracle_problems

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("STACKCTL_PROPERTY_EXAMPLES", "10"))
FIXED_SEED = 20261205
TALLY = {"tried": 0, "accepted": 0, "refused": 0}


def check_one(stack: str, chosen: list) -> None:
    values = edited_values(stack, chosen)
    TALLY["tried"] += 1
    try:
        config, _ = parse_stack_config(values, ROOT)
    except ConfigError:
        TALLY["refused"] += 1
        return
    from stackctl.render import run_program_file

    TALLY["accepted"] += 1
    result = run_program_file(ROOT / "__main__.py", stack, values)
    documents = [resource.inputs for resource in result.resources if resource.type.startswith("kubernetes:")]
    problems = oracle_problems(documents, config)
    assert problems == [], f"render accepted {[name for name, _ in chosen]} on {stack}, which cannot work:\n" + \
        "\n".join(problems)


PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _property(seed_value: int):
    @seed(seed_value)
    @PROPERTY
    @example(stack="staging", chosen=ALWAYS_TRIED)
    @given(stack=st.sampled_from(["staging", "prod"]), chosen=st.lists(edits(), min_size=1, max_size=3))
    def run(stack, chosen):
        check_one(stack, chosen)
    return run


@pytest.mark.parametrize("which", ["fixed", "random"])
def test_render_accepts_only_what_works(which, capsys):
    seed_value = FIXED_SEED if which == "fixed" else int(
        os.environ.get("STACKCTL_PROPERTY_SEED") or random.SystemRandom().randrange(2**32))
    before = dict(TALLY)
    with capsys.disabled():
        print(f"\nproperty seed ({which}): {seed_value} (replay: STACKCTL_PROPERTY_SEED={seed_value})")
    _property(seed_value)()
    tried, accepted = TALLY["tried"] - before["tried"], TALLY["accepted"] - before["accepted"]
    with capsys.disabled():
        print(f"property ({which} seed {seed_value}): {tried} configs tried, {accepted} accepted and rendered, "
              f"{tried - accepted} refused by the config check")
    assert accepted > 0, "no generated config was accepted: the property checked nothing"


def _tampered(documents: list[dict], kind: str, name: str, change) -> list[dict]:
    documents = copy.deepcopy(documents)
    for document in documents:
        if document["kind"] == kind and document["metadata"]["name"] == name:
            change(document)
    return documents


def test_the_oracle_finds_what_cannot_work(rendered):
    """The oracle is the property's only judge: each kind of breakage it must see, on the real staging render."""
    from stack_checks.load import load_stack

    config, _ = load_stack(ROOT, "staging")
    documents = [resource.inputs for resource in rendered["staging"][0].resources
                 if resource.type.startswith("kubernetes:")]
    assert oracle_problems(documents, config) == []

    def probe_on(port):
        return lambda d: d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"].update(
            {"port": port})
    cases = {
        "Deployment forge/forge: readinessProbe names port 'web', which is not declared":
            _tampered(documents, "Deployment", "forge", probe_on("web")),
        "Ingress chat/chat: Service chat/chat has no port 'web'":
            _tampered(documents, "Ingress", "chat", lambda d: d["spec"]["rules"][0]["http"]["paths"][0]["backend"][
                "service"]["port"].update({"name": "web"})),
        "Service forge/forge: selects no pods":
            _tampered(documents, "Service", "forge", lambda d: d["spec"].update(
                {"selector": {"app.kubernetes.io/name": "nobody"}})),
        "talksTo memql-agent -> memql-identity:http is blocked":
            _tampered(documents, "NetworkPolicy", "memql-identity-ingress", lambda d: d["spec"].update(
                {"ingress": [rule for rule in d["spec"]["ingress"]
                             if all(peer.get("podSelector", {}).get("matchLabels", {}).get(
                                 "app.kubernetes.io/name") != "memql-agent"
                                 and "memql-agent" not in str(peer.get("podSelector")) for peer in rule["from"])]})),
        "Service forge/forge: port name 'http' is used twice":
            _tampered(documents, "Service", "forge", lambda d: d["spec"]["ports"].append(
                {**d["spec"]["ports"][0], "port": 1024})),
        "is 254 characters, over the limit of 253 for a DNS subdomain":
            _tampered(documents, "Deployment", "forge", lambda d: d["metadata"].update({"name": "f" * 254})),
    }
    for expected, tampered in cases.items():
        problems = oracle_problems(tampered, config)
        assert any(expected in problem for problem in problems), (expected, problems)

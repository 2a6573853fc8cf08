"""Network isolation: the config rules, and the policies derived from the real stacks.

What the policies allow and block, flow by flow, is in test_network_flows.py.
"""
from __future__ import annotations

import pytest
import yaml

from config_models.base import ConfigError, validate_config
from config_models.namespace import NamespaceSpec
from config_models.network import EgressRuleSpec
from stack_checks.load import load_stack
from stack_file_edits import edit_stack_file

ANY = {"name": "model-api", "cidrs": ["0.0.0.0/0"], "ports": [443]}


@pytest.mark.parametrize("data, message", [
    ({"name": "x", "ports": [443]}, "(top level): rule 'x' needs exactly one of cidrs (outside the cluster) or "
                                    "namespace (inside it)"),
    ({"name": "x", "cidrs": ["10.0.0.0/8"], "namespace": "data", "ports": [443]},
     "(top level): rule 'x' needs exactly one of cidrs (outside the cluster) or namespace (inside it)"),
    ({"name": "x", "cidrs": ["10.0.0.1/8"], "ports": [443]},
     "cidrs: '10.0.0.1/8' is not a CIDR (10.0.0.1/8 has host bits set); e.g. 203.0.113.0/24"),
    ({"name": "x", "cidrs": ["203.0.113.0/24"], "ports": []},
     "ports: [] must list ports from 1 to 65535 (an allow of every port is never derived)"),
    ({"name": "x", "cidrs": ["203.0.113.0/24"], "ports": [443], "podLabels": {"a": "b"}},
     "(top level): rule 'x': podLabels selects pods in a namespace; add namespace"),
    ({**ANY, "allowAnyAddress": "  "}, "(top level): allowAnyAddress must give the reason, in words"),
])
def test_bad_egress_rules_are_refused(data, message):
    with pytest.raises(ConfigError) as raised:
        validate_config(EgressRuleSpec, data)
    assert raised.value.problems == [message]


def test_unmanaged_pods_must_be_named_and_explained():
    with pytest.raises(ConfigError) as raised:
        validate_config(NamespaceSpec, {"unmanagedPods": [{"podLabels": {}, "reason": ""}]})
    assert raised.value.problems == [
        "unmanagedPods[0].podLabels: {} would select every pod of the namespace; name the unmanaged pods' labels",
        "unmanagedPods[0].reason: the reason must be given in words",
    ]


def _load(scratch_project, stack, edit):
    bad = edit_stack_file(scratch_project / f"Pulumi.{stack}.yaml", scratch_project / "edited.yaml", edit)
    return load_stack(scratch_project, stack, bad)


def test_prod_refuses_any_address_egress_without_a_reason(scratch_project):
    def edit(config):
        del config["services"]["sol"]["egress"][2]["allowAnyAddress"]
    with pytest.raises(ConfigError) as raised:
        _load(scratch_project, "prod", edit)
    assert raised.value.problems == [
        "services.sol.egress[2].cidrs: ['0.0.0.0/0'] reaches any public address, which prod refuses unless the rule "
        "'model-api' says why (allowAnyAddress: <reason>), or list the destination's ranges"]


def test_staging_warns_where_prod_would_refuse(scratch_project):
    from stackctl.render import collect_resources

    def edit(config):
        del config["services"]["sol"]["egress"][2]["allowAnyAddress"]
    copy = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "edited.yaml", edit)
    warnings = collect_resources("staging", copy, scratch_project).warnings
    assert ("services.sol.egress[0].cidrs" not in " ".join(warnings)
            and "services.sol.egress[2].cidrs: ['0.0.0.0/0'] reaches any public address without allowAnyAddress on "
                "rule 'model-api' (prod refuses this)" in warnings)


@pytest.mark.parametrize("talks_to, message", [
    ({"service": "memql-brain", "port": "mesh"},
     "services.memql-bff.talksTo[5].service: 'memql-brain' is not a service (services: ['chat', 'forge', "
     "'memql-agent', 'memql-bff', 'memql-cognition', 'memql-identity', 'memql-planner', 'memql-voice', 'sol'])"),
    ({"service": "memql-identity", "port": "grpc"},
     "services.memql-bff.talksTo[5].port: 'grpc' is not a port of service 'memql-identity' (ports: ['http', "
     "'mesh'])"),
])
def test_talks_to_must_name_a_served_port(scratch_project, talks_to, message):
    with pytest.raises(ConfigError) as raised:
        _load(scratch_project, "staging", lambda c: c["services"]["memql-bff"]["talksTo"].append(talks_to))
    assert raised.value.problems == [message]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_owned_namespace_denies_by_default_and_resolves_dns(stack, rendered):
    config, out = rendered[stack]
    policies = [yaml.safe_load(p.read_text()) for p in out.rglob("NetworkPolicy-*.yaml")]
    namespaces = {yaml.safe_load(p.read_text())["metadata"]["name"] for p in (out / "_cluster").glob("Namespace-*")}
    by_name = {(p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"] for p in policies}
    for namespace in namespaces:
        assert by_name[(namespace, "default-deny")] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns = by_name[(namespace, "allow-dns")]
        assert dns["egress"][0]["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    # Nothing allows every destination except the named unmanaged pods.
    for (namespace, name), spec in by_name.items():
        if not name.startswith("allow-unmanaged-"):
            assert {} not in spec.get("egress", []) and {} not in spec.get("ingress", []), (namespace, name)


def test_the_migration_job_shares_its_workloads_egress(rendered):
    _, out = rendered["staging"]
    spec = yaml.safe_load((out / "memql" / "NetworkPolicy-memql-identity-egress.yaml").read_text())["spec"]
    assert spec["podSelector"] == {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In",
                                                         "values": ["memql-identity", "memql-identity-migrate"]}]}

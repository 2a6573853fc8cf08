"""policies/offline.py: YAML loading, config reconciliation and evaluation as the engine does them."""
import json
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from policies import offline
from policies.registry import POLICIES

CONFIG = Path(__file__).resolve().parent.parent / "policies" / "config"


def test_manifest_types_use_the_pulumi_kubernetes_tokens():
    assert [offline.resource_type_of(m) for m in (
        {"apiVersion": "v1", "kind": "Secret"},
        {"apiVersion": "apps/v1", "kind": "Deployment"},
        {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultStaticSecret"},
        {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret"},
    )] == ["kubernetes:core/v1:Secret", "kubernetes:apps/v1:Deployment",
           "kubernetes:secrets.hashicorp.com/v1beta1:VaultStaticSecret",
           "kubernetes:external-secrets.io/v1:ExternalSecret"]


def test_loader_names_objects_namespace_slash_name_and_expands_lists(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: matrix}}\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: matrix}}\n---\n")
    resources = offline.load_manifests(tmp_path)
    assert [(r.resource_type, r.name) for r in resources] == [
        ("kubernetes:core/v1:Namespace", "matrix"), ("kubernetes:core/v1:ConfigMap", "matrix/c")]
    assert resources[1].with_urn("dev").urn == "urn:pulumi:dev::platform::kubernetes:core/v1:ConfigMap::matrix/c"


def test_loader_reads_render_summaries_and_skips_other_documents(tmp_path):
    (tmp_path / "vault.yaml").write_text(
        "type: azure-native:keyvault:Vault\nname: key-vault\ninputs: {vaultName: kv}\n"
        "options: {protect: true, retainOnDelete: true, deleteBeforeReplace: false}\n")
    (tmp_path / "outputs.yaml").write_text("environment: prod\n")
    assert offline.load_manifests(tmp_path) == [offline.Resource(
        "azure-native:keyvault:Vault", "key-vault", {"vaultName": "kv"},
        opts=offline.ResourceOptions(protect=True, retain_on_delete=True, delete_before_replace=False))]


def test_config_starts_from_schema_defaults():
    settings = offline.reconcile_config(POLICIES, {})
    assert settings["aks-node-pool-autoscaling"] == offline.PolicySettings(EnforcementLevel.MANDATORY,
                                                                           {"minCountFloor": 1})


def test_config_all_then_policy_entries_like_the_engine():
    settings = offline.reconcile_config(POLICIES, {"all": "advisory", "ingress-tls": "mandatory",
                                                   "aks-node-pool-autoscaling": {"minCountFloor": 2}})
    assert settings["image-pinned-by-digest"].level == EnforcementLevel.ADVISORY
    assert settings["ingress-tls"].level == EnforcementLevel.MANDATORY
    assert settings["aks-node-pool-autoscaling"] == offline.PolicySettings(EnforcementLevel.ADVISORY,
                                                                           {"minCountFloor": 2})


@pytest.mark.parametrize("config, error", [
    ({"no-such-policy": "mandatory"}, "names policies ['no-such-policy'] that the pack does not have"),
    ({"ingress-tls": "loud"}, "enforcement level 'loud' must be one of"),
    ({"aks-node-pool-autoscaling": {"minCountFloor": "two"}}, "aks-node-pool-autoscaling: minCountFloor: 'two' is not of type 'integer'"),
])
def test_bad_config_is_refused(config, error):
    with pytest.raises(ValueError, match=error.replace("[", r"\[").replace("]", r"\]")):
        offline.reconcile_config(POLICIES, config)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_configs_are_valid_and_name_every_policy(stack):
    config = json.loads((CONFIG / f"{stack}.json").read_text())
    assert sorted(config) == sorted(policy.name for policy in POLICIES)
    offline.reconcile_config(POLICIES, config)


def test_prod_is_at_least_as_strict_as_staging():
    staging = offline.reconcile_config(POLICIES, json.loads((CONFIG / "staging.json").read_text()))
    prod = offline.reconcile_config(POLICIES, json.loads((CONFIG / "prod.json").read_text()))
    assert {name for name, s in prod.items() if s.level != EnforcementLevel.MANDATORY} == set()
    assert {name for name, s in staging.items() if s.level == EnforcementLevel.ADVISORY} == {
        "image-pinned-by-digest", "external-secret-deletion-policy", "ingress-tls", "gateway-listener-tls",
        "key-vault-purge-protection", "node-pool-headroom", "replicated-deployment-availability",
        "single-writer-liveness-probe", "vault-connection-tls", "persistent-volume-claim-retained"}
    assert prod["aks-node-pool-autoscaling"].config["minCountFloor"] == 2 > \
        staging["aks-node-pool-autoscaling"].config["minCountFloor"]


def _always(message):
    return ResourceValidationPolicy(name="always", description="Always reports.",
                                    validate=lambda args, report: report(message))


def test_levels_disabled_skipped_remediate_reported_mandatory():
    resource = [offline.Resource("t:m:R", "r", {})]
    policy = _always("x must y.")
    assert offline.evaluate(resource, {"always": "disabled"}, "s", [policy]) == []
    assert offline.evaluate(resource, {"always": "remediate"}, "s", [policy]) == [
        offline.Violation("always", "r", "x must y.", "mandatory")]
    assert offline.evaluate(resource, {"always": "advisory"}, "s", [policy])[0].mandatory is False


def test_not_applicable_reports_nothing():
    policy = ResourceValidationPolicy(name="na", description="Not applicable.",
                                      validate=lambda args, report: args.not_applicable("no"))
    assert offline.evaluate([offline.Resource("t:m:R", "r", {})], {}, "s", [policy]) == []


def test_stack_violations_name_the_resource_of_their_urn():
    def validate(args, report):
        for resource in args.resources:
            report(f"{resource.name} must y.", resource.urn)
        report("the stack must y.")
    policy = StackValidationPolicy(name="each", description="Reports each.", validate=validate)
    violations = offline.evaluate([offline.Resource("t:m:R", "a", {}), offline.Resource("t:m:R", "b", {})],
                                  {}, "s", [policy])
    assert [(v.resource, v.message) for v in violations] == [("a", "a must y."), ("b", "b must y."),
                                                            ("", "the stack must y.")]


def test_async_validations_are_awaited():
    async def validate(args, report):
        report("async must y.")
    policy = ResourceValidationPolicy(name="async", description="Async.", validate=validate)
    assert [v.message for v in offline.evaluate([offline.Resource("t:m:R", "r", {})], {}, "s", [policy])] == [
        "async must y."]


def test_the_good_corpus_passes_the_whole_pack():
    resources = [offline.Resource(r.resource_type, r.name, r.props, opts=offline.ResourceOptions(protect=True))
                 for r in offline.corpus_resources()]
    for stack in ("staging", "prod"):
        assert offline.evaluate(resources, json.loads((CONFIG / f"{stack}.json").read_text()), stack) == []

"""vault-static-secret-rollout-targets: sol-secrets restarts Deployment sol (Recreate) in the good corpus."""
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.vault_static_secret_rollout_targets import POLICY

TARGET = "VaultStaticSecret 'matrix/sol-secrets' spec.rolloutRestartTargets[0]"


def check(*replacements):
    resources = offline.overlay(offline.corpus_resources(), *map(offline.resource_from_manifest, replacements))
    return offline.check_stack(POLICY, resources)


def secret(path, value):
    return offline.changed(offline.corpus_manifest("VaultStaticSecret", "matrix/sol-secrets"), path, value)


def test_existing_recreate_target_passes():
    assert check() == []


def test_missing_target_is_reported():
    assert check(secret("spec.rolloutRestartTargets.0.name", "sol-bot")) == [
        ("matrix/sol-secrets", f"{TARGET} Deployment 'matrix/sol-bot' must exist in this stack.")]


def test_target_in_another_namespace_does_not_count():
    assert check(secret("metadata.namespace", "forge")) == [
        ("forge/sol-secrets", "VaultStaticSecret 'forge/sol-secrets' spec.rolloutRestartTargets[0] "
                              "Deployment 'forge/sol' must exist in this stack.")]


def test_other_kinds_are_reported():
    assert check(secret("spec.rolloutRestartTargets.0.kind", "StatefulSet")) == [
        ("matrix/sol-secrets", f"{TARGET} kind ('StatefulSet') must be Deployment.")]


def test_rolling_target_is_reported():
    deployment = offline.changed(offline.corpus_manifest("Deployment", "matrix/sol"), "spec.strategy",
                                 {"type": "RollingUpdate"})
    assert check(deployment) == [
        ("matrix/sol-secrets", f"{TARGET} Deployment 'matrix/sol' spec.strategy.type ('RollingUpdate') must be Recreate.")]


def test_unknown_target_is_reported():
    assert check(secret("spec.rolloutRestartTargets.0.name", UNKNOWN_STRING_VALUE)) == [
        ("matrix/sol-secrets", f"{TARGET} (kind 'Deployment', name unknown at preview) must be known at preview.")]

"""no-literal-secret-values: secret-like env names and ConfigMap keys with literal values."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.no_literal_secret_values import POLICY

ENV = "spec.template.spec.containers.0.env"
RULE = "must take its value from a Secret (valueFrom.secretKeyRef), not a literal."


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def sol_with_env(name, value):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    manifest["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": name, "value": value})
    return manifest


def config_map(key, value):
    return offline.changed(offline.corpus_manifest("ConfigMap", "matrix/sol-config"), f"data.{key}", value)


def test_secret_references_and_plain_settings_pass():
    assert check(offline.corpus_manifest("Deployment", "matrix/sol")) == []
    assert check(offline.corpus_manifest("ConfigMap", "matrix/sol-config")) == []


@pytest.mark.parametrize("name", ["SOL_TOKEN", "DB_PASSWORD", "client_secret", "MISTRAL_API_KEY", "ApiKey",
                                  "TLS_PRIVATE_KEY", "private-key",
                                  # widened: what the old pattern missed
                                  "pwd", "DB_PWD", "REDIS_PASSWD", "aws_access_key_id", "AWS_SECRET_ACCESS_KEY",
                                  "STRIPE_KEY", "encryption-key", "KEY", "GOOGLE_APPLICATION_CREDENTIALS_JSON"])
def test_secret_like_env_literal_is_reported(name):
    assert check(sol_with_env(name, "s3cr3t")) == [f"Deployment 'matrix/sol' container 'sol' env {name} {RULE}"]


def test_value_computed_from_an_output_is_a_literal_too():
    assert check(sol_with_env("ADMIN_PASSWORD", UNKNOWN_STRING_VALUE)) == [
        f"Deployment 'matrix/sol' container 'sol' env ADMIN_PASSWORD {RULE}"]


@pytest.mark.parametrize("name, value", [("DB_PASSWORD", ""), ("LOG_LEVEL", "debug"),
                                         # narrowed: names that point at a secret, and words that merely contain "key"
                                         ("JWT_SECRET_KEY_PATH", "/etc/jwt/key.pem"), ("TOKEN_FILE", "/var/run/token"),
                                         ("TLS_SECRET_NAME", "forge-tls"), ("SECRETS_DIR", "/run/secrets"),
                                         ("MONKEY_MODE", "on"), ("KEYCLOAK_URL", "https://id.example"),
                                         ("SORT_KEYS", "true")])
def test_empty_values_and_other_names_pass(name, value):
    assert check(sol_with_env(name, value)) == []


def test_the_not_secret_pattern_is_configurable():
    assert check(sol_with_env("JWT_SECRET_KEY_PATH", "/etc/jwt/key.pem"), notSecretPattern="") == [
        f"Deployment 'matrix/sol' container 'sol' env JWT_SECRET_KEY_PATH {RULE}"]


def test_allowed_names_are_exempt():
    assert check(sol_with_env("TOKEN_FILE", "/var/run/token"), allowedNames=["TOKEN_FILE"]) == []


def test_pattern_is_configurable():
    assert check(sol_with_env("PASSPHRASE", "x"), namePattern="passphrase") == [
        f"Deployment 'matrix/sol' container 'sol' env PASSPHRASE {RULE}"]


def test_config_map_secret_key_is_reported():
    assert check(config_map("api-key", "sk-123")) == [
        "ConfigMap 'matrix/sol-config' data key 'api-key' must not hold a literal secret "
        "(move it to a Secret source and mount that)."]


def test_the_azure_sdks_credential_selector_is_allowed_by_default():
    # The Litestream containers set it to a credential type; a config giving allowedNames replaces the default.
    assert check(sol_with_env("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential")) == []
    assert check(sol_with_env("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential"), allowedNames=[]) == [
        f"Deployment 'matrix/sol' container 'sol' env AZURE_TOKEN_CREDENTIALS {RULE}"]

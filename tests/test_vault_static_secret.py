from config_models.secret_source import VaultSource
from components.vault_static_secret import VaultStaticSecretSync
from stackctl.render import record_resources


def test_vault_static_secret_restarts_the_real_deployment_and_declares_its_keys():
    source = VaultSource(path="sol", keys=["b-key", "a-key"])
    result = record_resources(lambda: VaultStaticSecretSync(
        "sol-secrets", "matrix", source, "sol-vault-auth", ["sol"], {"app.kubernetes.io/name": "sol"}))
    (resource,) = result.resources
    assert resource.type == "kubernetes:secrets.hashicorp.com/v1beta1:VaultStaticSecret"
    assert resource.inputs["metadata"]["annotations"] == {"stackctl/provided-keys": "a-key,b-key"}
    assert resource.inputs["spec"] == {
        "vaultAuthRef": "sol-vault-auth",
        "mount": "secret",
        "type": "kv-v2",
        "path": "sol",
        "refreshAfter": "60s",
        "hmacSecretData": True,
        "rolloutRestartTargets": [{"kind": "Deployment", "name": "sol"}],
        "destination": {"name": "sol-secrets", "create": True, "overwrite": True,
                        "transformation": {"excludeRaw": True}},
    }

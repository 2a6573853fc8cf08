import pytest

from config_models.azure import AzureSpec
from components.azure_key_vault import AzureKeyVault
from config_models.base import validate_config
from components.external_secret import ExternalSecretSync
from config_models.secret_source import AzureKeyVaultSource
from components.workload_identity import WorkloadIdentity
from stackctl.render import record_resources

AZURE = {
    "subscriptionId": "3f2b6c1e-8a4d-4e2b-9c7a-1d5e6f7a8b9c",
    "tenantId": "7a1c2d3e-4f5a-4b6c-8d9e-0f1a2b3c4d5e",
    "resourceGroupName": "rg", "location": "westeurope",
    "oidcIssuerUrl": "https://issuer.example/", "keyVault": {"create": {"name": "kv-test"}},
}
SOURCE = {"data": [{"secretKey": "dsn", "keyVaultSecret": "db-dsn"}, {"secretKey": "key", "keyVaultSecret": "k"}]}


def _by_type(result):
    return {resource.type: resource for resource in result.resources}


def test_external_secret_owns_and_retains_its_target_and_uses_workload_identity():
    source = validate_config(AzureKeyVaultSource, SOURCE)
    result = record_resources(lambda: ExternalSecretSync(
        "memql", "memql", {"memql-secrets": source}, {}, tenant_id=AZURE["tenantId"],
        vault_url="https://kv-test.vault.azure.net/", client_id="client-guid"))
    resources = _by_type(result)
    external = resources["kubernetes:external-secrets.io/v1:ExternalSecret"].inputs
    assert external["spec"]["target"] == {"name": "memql-secrets", "creationPolicy": "Owner", "deletionPolicy": "Retain"}
    assert external["spec"]["data"] == [{"secretKey": "dsn", "remoteRef": {"key": "db-dsn"}},
                                        {"secretKey": "key", "remoteRef": {"key": "k"}}]
    assert external["spec"]["secretStoreRef"] == {"name": "memql-key-vault", "kind": "SecretStore"}
    assert external["metadata"]["annotations"] == {"stackctl/provided-keys": "dsn,key"}
    store = resources["kubernetes:external-secrets.io/v1:SecretStore"].inputs["spec"]["provider"]["azurekv"]
    assert store["authType"] == "WorkloadIdentity" and store["serviceAccountRef"] == {"name": "memql-key-vault"}
    account = resources["kubernetes:core/v1:ServiceAccount"].inputs
    assert account["metadata"]["annotations"]["azure.workload.identity/client-id"] == "client-guid"
    assert account["automountServiceAccountToken"] is False


def test_cluster_secret_store_reference_creates_no_store_or_account():
    source = validate_config(AzureKeyVaultSource, {**SOURCE, "clusterSecretStore": "azure-key-vault"})
    result = record_resources(lambda: ExternalSecretSync(
        "memql", "memql", {"memql-secrets": source}, {}, tenant_id="", vault_url="", client_id=None))
    (external,) = result.resources
    assert external.inputs["spec"]["secretStoreRef"] == {"name": "azure-key-vault", "kind": "ClusterSecretStore"}


def test_identity_is_federated_to_exactly_one_service_account_and_scoped_to_the_vault():
    azure = validate_config(AzureSpec, AZURE)
    result = record_resources(lambda: WorkloadIdentity(
        "memql", azure, "staging", "memql", "memql-key-vault", "/vault/id", "https://issuer.example/"))
    resources = _by_type(result)
    credential = resources["azure-native:managedidentity:FederatedIdentityCredential"].inputs
    assert credential["subject"] == "system:serviceaccount:memql:memql-key-vault"
    assert credential["audiences"] == ["api://AzureADTokenExchange"]
    assert credential["issuer"] == "https://issuer.example/"
    role = resources["azure-native:authorization:RoleAssignment"].inputs
    assert role["scope"] == "/vault/id"
    assert role["roleDefinitionId"].endswith("/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6")
    assert role["principalType"] == "ServicePrincipal"


def test_created_vault_uses_rbac_and_soft_delete_and_purge_protection_only_in_prod():
    azure = validate_config(AzureSpec, AZURE)
    for environment, purge in (("staging", None), ("prod", True)):
        (vault,) = record_resources(lambda: AzureKeyVault("kv", azure, environment)).resources
        properties = vault.inputs["properties"]
        assert properties["enableRbacAuthorization"] is True and properties["enableSoftDelete"] is True
        assert properties.get("enablePurgeProtection") is purge
        assert vault.protect and vault.retain_on_delete


def test_referenced_vault_creates_nothing_and_derives_its_url():
    azure = validate_config(AzureSpec, {**AZURE, "keyVault": {"id": (
        "/subscriptions/3f2b6c1e-8a4d-4e2b-9c7a-1d5e6f7a8b9c/resourceGroups/rg/providers/"
        "Microsoft.KeyVault/vaults/kv-memql-staging")}})
    assert record_resources(lambda: AzureKeyVault("kv", azure, "staging")).resources == []
    assert azure.key_vault.vault_url == "https://kv-memql-staging.vault.azure.net/"


@pytest.mark.parametrize("configured, rendered", [
    ("1h", "1h0m0s"), ("90s", "1m30s"), ("60s", "1m0s"), ("1h30m", "1h30m0s"), ("1500ms", "1.5s"),
    ("500ms", "500ms"), ("0.5h", "30m0s"), ("2h45m30.5s", "2h45m30.5s"),
])
def test_refresh_interval_is_rendered_as_go_prints_it_so_eso_writing_it_back_changes_nothing(configured, rendered):
    # ESO's finalizer update rewrites the spec in Go's form under its own field manager; any other
    # spelling makes the next server-side apply conflict on .spec.refreshInterval (tests/secret_chain).
    from components.external_secret import canonical_go_duration

    assert canonical_go_duration(configured) == rendered

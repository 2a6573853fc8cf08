"""key-vault-rbac-authorization: properties.enableRbacAuthorization must be true."""
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

from policies import offline
from policies.key_vault_rbac_authorization import POLICY

VAULT = "azure-native:keyvault:Vault"


def vault(value=None):
    props = {"vaultName": "kv-platform-prod", "resourceGroupName": "rg-platform-prod", "properties": {
        "tenantId": "7a1c2d3e-4f5a-4b6c-8d9e-0f1a2b3c4d5e", "sku": {"family": "A", "name": "standard"},
        "enableRbacAuthorization": True, "enableSoftDelete": True, "enablePurgeProtection": True}}
    return props if value is None else offline.changed(props, "properties.enableRbacAuthorization", value)


def test_rbac_vault_passes():
    assert offline.check_resource(POLICY, VAULT, vault()) == []


@pytest.mark.parametrize("value, shown", [(False, "false"), (offline.DELETE, "unset"),
                                          (UNKNOWN_BOOLEAN_VALUE, "unknown at preview")])
def test_access_policies_are_reported(value, shown):
    assert offline.check_resource(POLICY, VAULT, vault(value)) == [
        f"Vault 'kv-platform-prod' properties.enableRbacAuthorization ({shown}) must be true."]

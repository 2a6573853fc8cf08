"""key-vault-soft-delete: soft delete true or unset (Azure's default) passes."""
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

from policies import offline
from policies.key_vault_soft_delete import POLICY

VAULT = "azure-native:keyvault:Vault"


def vault(value=None):
    props = {"vaultName": "kv-platform-prod", "properties": {"enableRbacAuthorization": True, "enableSoftDelete": True}}
    return props if value is None else offline.changed(props, "properties.enableSoftDelete", value)


@pytest.mark.parametrize("value", [None, offline.DELETE])
def test_soft_delete_passes(value):
    assert offline.check_resource(POLICY, VAULT, vault(value)) == []


@pytest.mark.parametrize("value, shown", [(False, "false"), (UNKNOWN_BOOLEAN_VALUE, "unknown at preview")])
def test_soft_delete_off_is_reported(value, shown):
    assert offline.check_resource(POLICY, VAULT, vault(value)) == [
        f"Vault 'kv-platform-prod' properties.enableSoftDelete ({shown}) must be true or unset."]

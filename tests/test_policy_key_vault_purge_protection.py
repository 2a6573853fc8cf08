"""key-vault-purge-protection: properties.enablePurgeProtection must be true."""
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

from policies import offline
from policies.key_vault_purge_protection import POLICY

VAULT = "azure-native:keyvault:Vault"


def vault(value=None):
    props = {"vaultName": "kv-platform-prod", "properties": {"enableRbacAuthorization": True,
                                                           "enablePurgeProtection": True}}
    return props if value is None else offline.changed(props, "properties.enablePurgeProtection", value)


def test_purge_protection_passes():
    assert offline.check_resource(POLICY, VAULT, vault()) == []


@pytest.mark.parametrize("value, shown", [(False, "false"), (offline.DELETE, "unset"),
                                          (UNKNOWN_BOOLEAN_VALUE, "unknown at preview")])
def test_missing_purge_protection_is_reported(value, shown):
    assert offline.check_resource(POLICY, VAULT, vault(value)) == [
        f"Vault 'kv-platform-prod' properties.enablePurgeProtection ({shown}) must be true."]


def test_vault_name_falls_back_to_the_resource_name():
    assert offline.check_resource(POLICY, VAULT, {"properties": {}}, name="key-vault") == [
        "Vault 'key-vault' properties.enablePurgeProtection (unset) must be true."]

"""Where a service's Secret comes from, and which keys it is guaranteed to hold.

Two sources: OpenBao/Vault through the Vault Secrets Operator
(`VaultStaticSecret`), and Azure Key Vault through the External Secrets
Operator (`ExternalSecret`). Either way the source *declares* its keys, so the
secret-key coverage check can prove, before deployment, that every key a
container reads exists: the seed's "silent secret drop" (an env var that
renders empty or a pod in CreateContainerConfigError) cannot be shipped.
"""
from __future__ import annotations

import re
from typing import Optional

from pydantic import Field, field_validator, model_validator

from config_models.base import ConfigModel
from config_models.kubernetes_names import check_secret_key

_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
_KV_PATH = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
_KEY_VAULT_SECRET_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")


def check_duration(value: str) -> str:
    """Go durations (`60s`, `1h30m`); a zero duration would disable refreshing."""
    if not _DURATION.match(value):
        raise ValueError(f"{value!r} must be a duration such as 60s, 5m or 1h")
    if not re.search(r"[1-9]", value):
        raise ValueError(f"{value!r} must be greater than zero (zero disables refreshing)")
    return value


class VaultSource(ConfigModel):
    """A kv-v2 secret in OpenBao/Vault, synced by a VaultStaticSecret."""

    mount: str = Field("secret", description="kv-v2 mount. Default: secret.")
    path: str = Field(description="Path under the mount; must start with the service's name (least privilege). Required.")
    keys: list[str] = Field(description="Keys the secret holds; each becomes a key of the Kubernetes Secret. Required.")
    refresh_after: str = Field("60s", description="How often VSO re-reads the secret. Default: 60s.")

    @field_validator("mount", "path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _KV_PATH.match(value):
            raise ValueError(f"{value!r} must be a kv path such as sol or sol/prod (letters, digits, '_', '-', '.', '/')")
        return value

    @field_validator("refresh_after")
    @classmethod
    def _refresh(cls, value: str) -> str:
        return check_duration(value)

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return _check_keys(value)

    @property
    def provided_keys(self) -> list[str]:
        return list(self.keys)


class KeyVaultSecretMapping(ConfigModel):
    secret_key: str = Field(description="Key in the Kubernetes Secret.")
    key_vault_secret: str = Field(description="Name of the secret in Azure Key Vault.")

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str) -> str:
        return check_secret_key(value)

    @field_validator("key_vault_secret")
    @classmethod
    def _remote(cls, value: str) -> str:
        if not _KEY_VAULT_SECRET_NAME.match(value):
            raise ValueError(f"{value!r} must be a Key Vault secret name (1-127 letters, digits and '-')")
        return value


class AzureKeyVaultSource(ConfigModel):
    """Secrets in Azure Key Vault, synced by an ExternalSecret through Workload Identity."""

    refresh_interval: str = Field("1h", description="How often ESO re-reads Key Vault. Default: 1h.")
    data: list[KeyVaultSecretMapping] = Field(description="Secret key -> Key Vault secret. Required, non-empty.")
    reloader: bool = Field(
        False, description="Add the Stakater Reloader annotation so value changes roll the pod. Default: false."
    )
    cluster_secret_store: Optional[str] = Field(
        None,
        description="Use this existing ClusterSecretStore instead of a per-service SecretStore, "
                    "ServiceAccount and managed identity. Default: per-service store.",
    )

    @field_validator("refresh_interval")
    @classmethod
    def _refresh(cls, value: str) -> str:
        return check_duration(value)

    @property
    def provided_keys(self) -> list[str]:
        return [mapping.secret_key for mapping in self.data]

    @field_validator("data")
    @classmethod
    def _data(cls, value: list[KeyVaultSecretMapping]) -> list[KeyVaultSecretMapping]:
        if not value:
            raise ValueError("[] is empty: an ExternalSecret must map at least one Key Vault secret to a key")
        _check_keys([mapping.secret_key for mapping in value])
        return value


def _check_keys(keys: list[str]) -> list[str]:
    if not keys:
        raise ValueError("[] is empty: a secret source must provide at least one key")
    for key in keys:
        check_secret_key(key)
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"key {duplicates[0]!r} appears more than once in one Secret; each key must be unique")
    return keys


class SecretSourceSpec(ConfigModel):
    """Exactly one of `vault` or `azureKeyVault`."""

    vault: Optional[VaultSource] = Field(None, description="Sync from OpenBao/Vault kv-v2.")
    azure_key_vault: Optional[AzureKeyVaultSource] = Field(None, description="Sync from Azure Key Vault.")

    @model_validator(mode="after")
    def _exactly_one(self) -> "SecretSourceSpec":
        if (self.vault is None) == (self.azure_key_vault is None):
            raise ValueError("a secret source needs exactly one of `vault` or `azureKeyVault`")
        return self

    @property
    def provided_keys(self) -> list[str]:
        return (self.vault or self.azure_key_vault).provided_keys

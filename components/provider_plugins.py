"""Which provider plugins this run can use, so render mode works without Azure or Vault.

The Kubernetes provider is always needed. The Azure and Vault plugins are
needed only for their resources; in render mode (no cloud) a machine may not
have them, and then those resources are skipped with a warning rather than
failing the preview. Outside render mode nothing is skipped, so a missing
plugin is the engine's error to report, unless the stack opts in with
`kubernetes.skipCloudResourcesWithoutPlugins: true` (a local test cluster,
where Azure and Vault cannot run; the end-to-end tests use it).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class ProviderPlugins:
    azure: bool = True
    vault: bool = True


def plugin_installed(name: str, python_package: str) -> bool:
    """True if `~/.pulumi/plugins/resource-<name>-v<version of the Python SDK>` exists."""
    try:
        version = metadata.version(python_package)
    except metadata.PackageNotFoundError:
        return False
    home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    return (home / "plugins" / f"resource-{name}-v{version}").is_dir()


def detect_provider_plugins(config) -> ProviderPlugins:
    kubernetes = config.kubernetes
    if kubernetes.render_yaml_to_directory is None and not kubernetes.skip_cloud_resources_without_plugins:
        return ProviderPlugins()
    return ProviderPlugins(
        azure=plugin_installed("azure-native", "pulumi-azure-native"),
        vault=plugin_installed("vault", "pulumi-vault"),
    )


@dataclass(frozen=True)
class CloudResourcesThisRun:
    """Which cloud resources this run creates: decided once, from the config and the plugins present.

    Each is True when the stack uses it and its plugin is present. The
    Kubernetes side of a skipped resource is still rendered (a ServiceAccount
    whose client id says the identity was not created, a VaultAuth whose role
    the Vault plugin did not write), so the manifests stay reviewable.
    """

    vault_server: bool
    node_pool: bool
    key_vault: bool
    backup_storage: bool
    skipped: tuple[str, ...]
    """One warning per kind of resource skipped because its plugin is absent."""


def decide_cloud_resources(config, plugins: ProviderPlugins) -> CloudResourcesThisRun:
    secrets = [source for service in config.services.values() for source in service.secrets.values()]
    uses_vault = any(source.vault for source in secrets)
    uses_key_vault = any(source.azure_key_vault and source.azure_key_vault.cluster_secret_store is None
                         for source in secrets)
    uses_node_pool = config.azure is not None and config.azure.cluster is not None
    uses_backup = any(service.backup() is not None for service in config.services.values())
    skipped = []
    if uses_vault and not plugins.vault:
        skipped.append("pulumi-vault plugin absent: Vault policies and auth roles are skipped in this run")
    if uses_key_vault and not plugins.azure:
        skipped.append("pulumi-azure-native plugin absent: Key Vault, identities and role assignments are "
                       "skipped in this run")
    if uses_node_pool and not plugins.azure:
        skipped.append("pulumi-azure-native plugin absent: the AKS node pool is skipped in this run")
    if uses_backup and not plugins.azure:
        skipped.append("pulumi-azure-native plugin absent: the backup storage account and identities are skipped "
                       "in this run")
    return CloudResourcesThisRun(
        vault_server=plugins.vault, node_pool=uses_node_pool and plugins.azure,
        key_vault=uses_key_vault and plugins.azure, backup_storage=uses_backup and plugins.azure,
        skipped=tuple(skipped),
    )

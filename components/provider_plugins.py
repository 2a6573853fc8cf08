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

"""The program: turn a validated `StackConfig` into components.

`deploy_stack` is what `__main__.py` runs under the real engine and what
`stackctl render` runs under Pulumi's mock runtime, so both see the same
resources. It receives config that has already passed every check; it does
no validation of its own and registers nothing until it is called.
"""
from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from .namespace import Namespace
from .persistent_volume_claim import PersistentVolumeClaim
from .provider_plugins import ProviderPlugins
from .single_writer_deployment import SingleWriterDeployment, workload_labels
from .stack_config import StackConfig
from .vault_static_secret import VaultStaticSecretSync
from .vault_workload_access import VaultWorkloadAccess


def deploy_stack(config: StackConfig, file_contents: dict[str, str],
                 plugins: Optional[ProviderPlugins] = None) -> dict[str, Any]:
    """Register every resource of the stack; return the stack outputs to export."""
    plugins = plugins or ProviderPlugins()
    provider_opts = None
    if config.kubernetes.render_yaml_to_directory is not None:
        provider = k8s.Provider(
            "kubernetes-render",
            render_yaml_to_directory=config.kubernetes.render_yaml_to_directory,
            # Render mode must never reach a cluster, whatever the shell has.
            kubeconfig="",
            enable_server_side_apply=True,
        )
        provider_opts = pulumi.ResourceOptions(provider=provider)
    if not plugins.vault and any(s.vault for svc in config.services.values() for s in svc.secrets.values()):
        pulumi.log.warn("pulumi-vault plugin absent: Vault policies and auth roles are skipped in this run")

    namespaces = {
        name: Namespace(name, spec, config.environment, opts=provider_opts)
        for name, spec in sorted(config.namespaces.items())
    }
    release_digests: dict[str, str] = {}
    for name, service in sorted(config.services.items()):
        namespace_opts = pulumi.ResourceOptions.merge(
            provider_opts, pulumi.ResourceOptions(depends_on=[namespaces[service.namespace]])
        )
        labels = workload_labels(name, config.environment)
        image = config.release.images[name].image
        release_digests[name] = image
        init_image = None
        if service.data_directories is not None:
            init_image = config.release.images[service.data_directories.image].image
            release_digests[service.data_directories.image] = init_image

        claim = PersistentVolumeClaim(f"{name}-data", service.data, service.namespace, labels, opts=namespace_opts)
        deployment = SingleWriterDeployment(
            name, service, config.environment, image, file_contents, init_image,
            opts=pulumi.ResourceOptions.merge(namespace_opts, pulumi.ResourceOptions(depends_on=[claim])),
        )
        vault_sources = {secret: source.vault for secret, source in service.secrets.items() if source.vault}
        if vault_sources:
            access = VaultWorkloadAccess(
                name, service.namespace, list(vault_sources.values()), config.vault, labels,
                manage_vault_server=plugins.vault, opts=namespace_opts,
            )
            for secret, source in sorted(vault_sources.items()):
                VaultStaticSecretSync(
                    secret, service.namespace, source, f"{name}-vault-auth", [name], labels,
                    opts=pulumi.ResourceOptions.merge(namespace_opts, pulumi.ResourceOptions(depends_on=[access])),
                )
    return {"releaseDigests": dict(sorted(release_digests.items())), "environment": config.environment}

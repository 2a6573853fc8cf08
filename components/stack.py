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

from components.aks_node_pool import AksNodePool
from components.azure_key_vault import AzureKeyVault
from components.backup_storage import BackupStorage
from components.namespace import Namespace
from components.network_isolation import NetworkIsolation
from components.provider_plugins import ProviderPlugins, decide_cloud_resources
from components.routing.routing import Routing
from components.service import Service, SharedResources
from components.storage_class import RetainedStorageClass
from config_models.release import RELEASE_DIGESTS_OUTPUT
from config_models.stack import StackConfig


def deploy_stack(config: StackConfig, file_contents: dict[str, str],
                 plugins: Optional[ProviderPlugins] = None) -> dict[str, Any]:
    """Register every resource of the stack; return the stack outputs to export."""
    cloud = decide_cloud_resources(config, plugins or ProviderPlugins())
    for warning in cloud.skipped:
        pulumi.log.warn(warning)
    provider_opts = _render_provider_opts(config)
    common_labels = {"app.kubernetes.io/managed-by": "pulumi", "platform/environment": config.environment}
    namespaces = {name: Namespace(name, spec, config.environment, opts=provider_opts)
                  for name, spec in sorted(config.namespaces.items())}
    oidc_issuer_url = config.azure.oidc_issuer_url if config.azure else None
    if cloud.node_pool:
        node_pool = AksNodePool("aks", config.azure.cluster, config.azure.resource_group_name, config.azure.location)
        oidc_issuer_url = node_pool.oidc_issuer_url or oidc_issuer_url
    backed_up = sorted(name for name, service in config.services.items() if service.backup() is not None)
    shared = SharedResources(
        environment=config.environment, release=config.release, file_contents=file_contents,
        vault=config.vault, manage_vault_server=cloud.vault_server, azure=config.azure,
        key_vault=AzureKeyVault("key-vault", config.azure, config.environment) if cloud.key_vault else None,
        backup_storage=BackupStorage("backup-storage", config.azure, backed_up) if cloud.backup_storage
        else None,
        oidc_issuer_url=oidc_issuer_url, namespace_dependencies=namespaces,
        # Classes first: a claim naming a class that does not exist yet stays Pending.
        storage_classes=[RetainedStorageClass(name, spec.create, common_labels, opts=provider_opts)
                         for name, spec in sorted(config.storage.classes.items()) if spec.create is not None],
        provider_opts=provider_opts,
    )
    services = [Service(name, service, shared) for name, service in sorted(config.services.items())]
    # Default deny in every owned namespace, then the allows the config implies.
    NetworkIsolation("network", config, common_labels, opts=pulumi.ResourceOptions.merge(
        provider_opts, pulumi.ResourceOptions(depends_on=list(namespaces.values()))))
    if config.routing is not None:
        Routing("routing", config.routing, config.services, common_labels, opts=provider_opts)
    release_digests = {component: image for service in services for component, image in service.images.items()}
    return {RELEASE_DIGESTS_OUTPUT: dict(sorted(release_digests.items())), "environment": config.environment}


def _render_provider_opts(config: StackConfig) -> Optional[pulumi.ResourceOptions]:
    """In render mode every Kubernetes resource goes to one provider that writes YAML and reaches no cluster."""
    if config.kubernetes.render_yaml_to_directory is None:
        return None
    return pulumi.ResourceOptions(provider=k8s.Provider(
        "kubernetes-render",
        render_yaml_to_directory=config.kubernetes.render_yaml_to_directory,
        # Render mode must never reach a cluster, whatever the shell has.
        kubeconfig="",
        enable_server_side_apply=True,
    ))

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

from .aks_node_pool import AksNodePool
from .azure_key_vault import AzureKeyVault
from .cluster_ip_service import ClusterIpService
from .external_secret import RELOADER_ANNOTATION, ExternalSecretSync, build_external_secret, key_vault_reader_name
from .namespace import Namespace
from .network_isolation import NetworkIsolation
from .persistent_volume_claim import PersistentVolumeClaim
from .provider_plugins import ProviderPlugins
from .storage_class import RetainedStorageClass
from .release import RELEASE_DIGESTS_OUTPUT
from .routing import Routing
from .pod_template import SECRET_MAPPING_CHECKSUM_ANNOTATION
from .stack_config import StackConfig
from .vault_static_secret import VaultStaticSecretSync
from .vault_workload_access import VaultWorkloadAccess, vault_auth_name
from .sqlite_backup import BackupStorage, backup_container_name, backup_service_account
from .workload_identity import STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE, WorkloadIdentity
from .workload_kinds import deploy_workload
from .workload_spec import WorkloadInputs, content_checksum, workload_labels

# What a ServiceAccount's client-id annotation says when the Azure plugin is
# absent in render mode and the identity was therefore not created.
CLIENT_ID_NOT_CREATED = "not-created-azure-native-plugin-absent"


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
    uses_vault = any(s.vault for svc in config.services.values() for s in svc.secrets.values())
    uses_key_vault = any(
        s.azure_key_vault and s.azure_key_vault.cluster_secret_store is None
        for svc in config.services.values() for s in svc.secrets.values()
    )
    if uses_vault and not plugins.vault:
        pulumi.log.warn("pulumi-vault plugin absent: Vault policies and auth roles are skipped in this run")
    if uses_key_vault and not plugins.azure:
        pulumi.log.warn("pulumi-azure-native plugin absent: Key Vault, identities and role assignments are "
                        "skipped in this run")

    namespaces = {
        name: Namespace(name, spec, config.environment, opts=provider_opts)
        for name, spec in sorted(config.namespaces.items())
    }
    if config.azure is not None and config.azure.cluster is not None and not plugins.azure:
        pulumi.log.warn("pulumi-azure-native plugin absent: the AKS node pool is skipped in this run")
    oidc_issuer_url = config.azure.oidc_issuer_url if config.azure else None
    if config.azure is not None and config.azure.cluster is not None and plugins.azure:
        node_pool = AksNodePool("aks", config.azure.cluster, config.azure.resource_group_name, config.azure.location)
        if node_pool.oidc_issuer_url is not None:
            oidc_issuer_url = node_pool.oidc_issuer_url
    key_vault = None
    if uses_key_vault and plugins.azure:
        key_vault = AzureKeyVault("key-vault", config.azure, config.environment)

    backed_up = sorted(name for name, service in config.services.items()
                       if getattr(getattr(service, "data", None), "backup", None) is not None)
    backup_storage = None
    if backed_up and plugins.azure:
        backup_storage = BackupStorage("backup-storage", config.azure, backed_up)
    elif backed_up:
        pulumi.log.warn("pulumi-azure-native plugin absent: the backup storage account and identities are skipped "
                        "in this run")
    # Classes first: a claim naming a class that does not exist yet stays Pending.
    storage_classes = [
        RetainedStorageClass(name, spec.create, {"app.kubernetes.io/managed-by": "pulumi",
                                                 "platform/environment": config.environment}, opts=provider_opts)
        for name, spec in sorted(config.storage.classes.items()) if spec.create is not None
    ]
    release_digests: dict[str, str] = {}
    for name, service in sorted(config.services.items()):
        namespace_opts = pulumi.ResourceOptions.merge(
            provider_opts, pulumi.ResourceOptions(depends_on=[namespaces[service.namespace]])
        )
        labels = workload_labels(name, config.environment)
        images = {component: config.release.images[component].image
                  for component in service.release_components(name)}
        release_digests.update(images)

        secret_sources: list[pulumi.Resource] = []
        vault_sources = {secret: source.vault for secret, source in service.secrets.items() if source.vault}
        if vault_sources:
            access = VaultWorkloadAccess(
                name, service.namespace, list(vault_sources.values()), config.vault, labels,
                manage_vault_server=plugins.vault,
                ca_certificate=file_contents[config.vault.ca_cert_file] if config.vault.ca_cert_file else None,
                opts=namespace_opts,
            )
            for secret, source in sorted(vault_sources.items()):
                secret_sources.append(VaultStaticSecretSync(
                    secret, service.namespace, source, vault_auth_name(name), service.restart_targets(name), labels,
                    opts=pulumi.ResourceOptions.merge(namespace_opts, pulumi.ResourceOptions(depends_on=[access])),
                ))

        key_vault_sources = {
            secret: source.azure_key_vault for secret, source in service.secrets.items() if source.azure_key_vault
        }
        pod_annotations: dict[str, str] = {}
        deployment_annotations: dict[str, str] = {}
        if key_vault_sources:
            needs_store = any(source.cluster_secret_store is None for source in key_vault_sources.values())
            client_id = None
            if needs_store:
                client_id = CLIENT_ID_NOT_CREATED
                if key_vault is not None:
                    identity = WorkloadIdentity(
                        f"{name}-key-vault", config.azure, config.environment, service.namespace,
                        key_vault_reader_name(name), key_vault.vault_id, oidc_issuer_url,
                    )
                    client_id = identity.client_id
            secret_sources.append(ExternalSecretSync(
                name, service.namespace, key_vault_sources, labels,
                tenant_id=config.azure.tenant_id if config.azure else "",
                vault_url=config.azure.key_vault.vault_url if needs_store else "",
                client_id=client_id, opts=namespace_opts,
            ))
            # ESO never restarts pods: a changed mapping must change the pod template.
            pod_annotations[SECRET_MAPPING_CHECKSUM_ANNOTATION] = content_checksum([
                build_external_secret(secret, name, service.namespace, source, {})["spec"]
                for secret, source in sorted(key_vault_sources.items())
            ])
            reloaded = sorted(secret for secret, source in key_vault_sources.items() if source.reloader)
            if reloaded:
                deployment_annotations[RELOADER_ANNOTATION] = ",".join(reloaded)

        if service.routable_ports():
            ClusterIpService(name, service, labels, opts=namespace_opts)
        claims = [
            # The first claim keeps the resource name it had before kinds existed (`<name>-data`):
            # a protected claim must never be re-created under a new URN.
            PersistentVolumeClaim(f"{name}-data" if index == 0 else f"{name}-{volume.claim_name}",
                                  volume, service.namespace, labels, opts=pulumi.ResourceOptions.merge(
                                      namespace_opts, pulumi.ResourceOptions(depends_on=storage_classes)))
            for index, volume in enumerate(service.claims())
        ]
        backup_account = backup_client_id = None
        if name in backed_up:
            backup_account = config.azure.backup_storage.account_name
            backup_client_id = CLIENT_ID_NOT_CREATED
            if backup_storage is not None:
                # Storage Blob Data Contributor on this service's container only.
                backup_client_id = WorkloadIdentity(
                    f"{name}-backup", config.azure, config.environment, service.namespace,
                    backup_service_account(name), backup_storage.container_ids[name], oidc_issuer_url,
                    role=STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE, role_label="storage-blob-data-contributor",
                    scope_name=f"{config.azure.backup_storage.account_name}/{backup_container_name(name)}",
                ).client_id
        deploy_workload(
            name, service,
            WorkloadInputs(config.environment, images, file_contents, pod_annotations, deployment_annotations,
                           backup_account=backup_account, backup_client_id=backup_client_id),
            # The pods cannot start before their claims and Secrets exist.
            opts=pulumi.ResourceOptions.merge(
                namespace_opts, pulumi.ResourceOptions(depends_on=[*claims, *secret_sources])),
        )
    # Default deny in every owned namespace, then the allows the config implies.
    NetworkIsolation("network", config, {"app.kubernetes.io/managed-by": "pulumi",
                                         "platform/environment": config.environment},
                     opts=pulumi.ResourceOptions.merge(provider_opts, pulumi.ResourceOptions(
                         depends_on=list(namespaces.values()))))
    if config.routing is not None:
        Routing("routing", config.routing, config.services, {"app.kubernetes.io/managed-by": "pulumi",
                                                             "platform/environment": config.environment},
                opts=provider_opts)
    outputs: dict[str, Any] = {
        RELEASE_DIGESTS_OUTPUT: dict(sorted(release_digests.items())),
        "environment": config.environment,
    }
    return outputs

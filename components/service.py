"""One `services.<name>` entry as one component: everything that exists because that service does.

A `Service` owns the service's workload (of its kind), its Kubernetes
Service, its claims, its secret syncs, its Vault access and its Key Vault
and backup identities, so `pulumi preview` shows each service as one
subtree. What several services share (namespaces, storage classes, the Key
Vault, the backup storage account) is created once by the stack and handed
in as `SharedResources`; whether a cloud plugin is present was decided there,
once, and arrives here as "that shared resource exists or not".

Every child was once parented by the stack itself. `MOVED_FROM_STACK_ROOT`
gives each one an alias for that old URN (Pulumi's way to move resources
without replacing them); the children's own children inherit it. Without it
the first `pulumi up` after this change would delete and re-create every
resource of every service, protected claims included.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi

from components.azure_key_vault import AzureKeyVault
from components.backup_storage import BackupStorage
from components.cluster_ip_service import ClusterIpService
from components.external_secret import (
    RELOADER_ANNOTATION, ExternalSecretSync, build_external_secret, key_vault_reader_name,
)
from components.persistent_volume_claim import PersistentVolumeClaim
from components.vault_static_secret import VaultStaticSecretSync
from components.vault_workload_access import VaultWorkloadAccess, vault_auth_name
from components.workload_identity import STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE, WorkloadIdentity
from components.workloads.kinds import deploy_workload
from components.workloads.pod_template import SECRET_MAPPING_CHECKSUM_ANNOTATION
from components.workloads.workload_inputs import WorkloadInputs, content_checksum
from config_models.azure import AzureSpec
from config_models.backup import backup_container_name, backup_service_account
from config_models.release import ReleaseSpec
from config_models.vault_server import VaultServerSpec
from config_models.workloads.workload import WorkloadSpec, workload_labels

# What a ServiceAccount's client-id annotation says when the Azure plugin is
# absent in render mode and the identity was therefore not created.
CLIENT_ID_NOT_CREATED = "not-created-azure-native-plugin-absent"
# Before `Service` existed these children were registered at the top of the
# stack; the alias keeps their URNs (and their state) when they move under it.
MOVED_FROM_STACK_ROOT = pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


@dataclass(frozen=True)
class SharedResources:
    """What the stack creates once for all services, and what this run may create per service.

    `key_vault`/`backup_storage` are None when the stack does not use them or
    the Azure plugin is absent; `manage_vault_server` is False when the Vault
    plugin is absent. Either way the Kubernetes side is still rendered.
    """

    environment: str
    release: ReleaseSpec
    file_contents: Mapping[str, str]
    vault: Optional[VaultServerSpec]
    manage_vault_server: bool
    azure: Optional[AzureSpec]
    key_vault: Optional[AzureKeyVault]
    backup_storage: Optional[BackupStorage]
    oidc_issuer_url: Optional[pulumi.Input[str]]
    namespace_dependencies: Mapping[str, pulumi.Resource]
    storage_classes: Sequence[pulumi.Resource]
    provider_opts: Optional[pulumi.ResourceOptions]


class Service(pulumi.ComponentResource):
    """Everything one service needs, as one subtree; `images` are the release digests it runs."""

    images: dict[str, str]

    def __init__(self, name: str, spec: WorkloadSpec, shared: SharedResources,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:services:Service", name, None, opts)
        self._name, self._spec, self._shared = name, spec, shared
        self._labels = workload_labels(name, shared.environment)
        # Every Kubernetes child: the stack's provider, after the service's namespace exists.
        self._kubernetes_opts = pulumi.ResourceOptions.merge(shared.provider_opts, pulumi.ResourceOptions(
            depends_on=[shared.namespace_dependencies[spec.namespace]]))
        self.images = {component: shared.release.images[component].image
                       for component in spec.release_components(name)}

        secret_sources = self._vault_secret_syncs()
        pod_annotations: dict[str, str] = {}
        workload_annotations: dict[str, str] = {}
        key_vault_sync = self._key_vault_secret_sync(pod_annotations, workload_annotations)
        if key_vault_sync is not None:
            secret_sources.append(key_vault_sync)
        if spec.routable_ports():
            ClusterIpService(name, spec, self._labels, opts=self._child_opts())
        claims = self._claims()
        backup_account, backup_client_id = self._backup_identity()
        deploy_workload(
            name, spec,
            WorkloadInputs(shared.environment, self.images, shared.file_contents, pod_annotations,
                           workload_annotations, backup_account=backup_account, backup_client_id=backup_client_id),
            # The pods cannot start before their claims and Secrets exist.
            opts=self._child_opts(pulumi.ResourceOptions(depends_on=[*claims, *secret_sources])),
        )
        self.register_outputs({"images": self.images})

    def _child_opts(self, extra: Optional[pulumi.ResourceOptions] = None, *,
                    kubernetes: bool = True) -> pulumi.ResourceOptions:
        """Options of a direct child: parented here, aliased to its old top-level URN."""
        opts = pulumi.ResourceOptions.merge(self._kubernetes_opts if kubernetes else None, MOVED_FROM_STACK_ROOT)
        return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions.merge(
            extra, pulumi.ResourceOptions(parent=self)))

    def _vault_secret_syncs(self) -> list[pulumi.Resource]:
        name, spec, shared = self._name, self._spec, self._shared
        vault_sources = {secret: source.vault for secret, source in spec.secrets.items() if source.vault}
        if not vault_sources:
            return []
        access = VaultWorkloadAccess(
            name, spec.namespace, list(vault_sources.values()), shared.vault, self._labels,
            manage_vault_server=shared.manage_vault_server,
            ca_certificate=shared.file_contents[shared.vault.ca_cert_file] if shared.vault.ca_cert_file else None,
            opts=self._child_opts(),
        )
        return [
            VaultStaticSecretSync(secret, spec.namespace, source, vault_auth_name(name), spec.restart_targets(name),
                                  self._labels, opts=self._child_opts(pulumi.ResourceOptions(depends_on=[access])))
            for secret, source in sorted(vault_sources.items())
        ]

    def _key_vault_secret_sync(self, pod_annotations: dict[str, str],
                               workload_annotations: dict[str, str]) -> Optional[pulumi.Resource]:
        name, spec, shared = self._name, self._spec, self._shared
        sources = {secret: source.azure_key_vault for secret, source in spec.secrets.items() if source.azure_key_vault}
        if not sources:
            return None
        needs_store = any(source.cluster_secret_store is None for source in sources.values())
        client_id = None
        if needs_store:
            client_id = CLIENT_ID_NOT_CREATED
            if shared.key_vault is not None:
                client_id = WorkloadIdentity(
                    f"{name}-key-vault", shared.azure, shared.environment, spec.namespace,
                    key_vault_reader_name(name), shared.key_vault.vault_id, shared.oidc_issuer_url,
                    opts=self._child_opts(kubernetes=False),
                ).client_id
        sync = ExternalSecretSync(
            name, spec.namespace, sources, self._labels,
            tenant_id=shared.azure.tenant_id if shared.azure else "",
            vault_url=shared.azure.key_vault.vault_url if needs_store else "",
            client_id=client_id, opts=self._child_opts(),
        )
        # ESO never restarts pods: a changed mapping must change the pod template.
        pod_annotations[SECRET_MAPPING_CHECKSUM_ANNOTATION] = content_checksum([
            build_external_secret(secret, name, spec.namespace, source, {})["spec"]
            for secret, source in sorted(sources.items())
        ])
        reloaded = sorted(secret for secret, source in sources.items() if source.reloader)
        if reloaded:
            workload_annotations[RELOADER_ANNOTATION] = ",".join(reloaded)
        return sync

    def _claims(self) -> list[pulumi.Resource]:
        name = self._name
        return [
            # The first claim keeps the resource name it had before kinds existed (`<name>-data`):
            # a protected claim must never be re-created under a new URN.
            PersistentVolumeClaim(f"{name}-data" if index == 0 else f"{name}-{volume.claim_name}",
                                  volume, self._spec.namespace, self._labels,
                                  opts=self._child_opts(pulumi.ResourceOptions(
                                      depends_on=list(self._shared.storage_classes))))
            for index, volume in enumerate(self._spec.claims())
        ]

    def _backup_identity(self) -> tuple[Optional[str], Optional[pulumi.Input[str]]]:
        name, shared = self._name, self._shared
        if self._spec.backup() is None:
            return None, None
        client_id: pulumi.Input[str] = CLIENT_ID_NOT_CREATED
        if shared.backup_storage is not None:
            # Storage Blob Data Contributor on this service's container only.
            client_id = WorkloadIdentity(
                f"{name}-backup", shared.azure, shared.environment, self._spec.namespace,
                backup_service_account(name), shared.backup_storage.container_ids[name], shared.oidc_issuer_url,
                role=STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE, role_label="storage-blob-data-contributor",
                scope_name=f"{shared.azure.backup_storage.account_name}/{backup_container_name(name)}",
                opts=self._child_opts(kubernetes=False),
            ).client_id
        return shared.azure.backup_storage.account_name, client_id

"""The Azure storage account that holds the single writers' Litestream replicas (`azure.backupStorage`).

Created protected: blob soft delete and versioning on, TLS 1.2 at least, no
public blob access, shared keys off; one blob container per backed-up
service, written only by that service's workload identity (`Service`). What
runs in the pod is in `workloads/litestream.py`.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from config_models.azure import AzureSpec
from config_models.backup import backup_container_name


class BackupStorage(pulumi.ComponentResource):
    """The storage account, its blob service settings, and one container per backed-up service."""

    def __init__(self, name: str, azure: AzureSpec, services: list[str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:azure:BackupStorage", name, None, opts)
        import pulumi_azure_native as azure_native

        spec = azure.backup_storage
        assert spec is not None
        # The replicas are the backups: neither Pulumi nor a destroy may take them.
        kept = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        self.account = azure_native.storage.StorageAccount(
            f"{name}-account",
            account_name=spec.account_name,
            resource_group_name=azure.resource_group_name,
            location=azure.location,
            kind="StorageV2",
            sku={"name": spec.sku_name},
            minimum_tls_version="TLS1_2",
            enable_https_traffic_only=True,
            allow_blob_public_access=False,
            # No account keys: only Entra ID (Workload Identity) can write.
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            opts=kept,
        )
        self.blob_service = azure_native.storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=self.account.name,
            resource_group_name=azure.resource_group_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy={"enabled": True, "days": spec.soft_delete_days},
            container_delete_retention_policy={"enabled": True, "days": spec.soft_delete_days},
            opts=kept,
        )
        self.container_ids: dict[str, pulumi.Output[str]] = {}
        for service in sorted(services):
            container = azure_native.storage.BlobContainer(
                f"{name}-{service}-container",
                account_name=self.account.name,
                resource_group_name=azure.resource_group_name,
                container_name=backup_container_name(service),
                public_access="None",
                opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[self.blob_service])),
            )
            self.container_ids[service] = container.id
        self.register_outputs({})

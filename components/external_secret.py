"""Secrets from Azure Key Vault, synced by the External Secrets Operator (`external-secrets.io/v1`).

Per service: a ServiceAccount carrying the Workload Identity client id, a
SecretStore using it (`authType: WorkloadIdentity`), and one ExternalSecret
per Kubernetes Secret. Alternatively a platform-owned ClusterSecretStore is
referenced and none of the first two are created. The target Secret is owned
by its ExternalSecret (`creationPolicy: Owner`) but kept if Key Vault loses
the value (`deletionPolicy: Retain`): a workload keeps its last good secret
rather than losing it to a Key Vault mistake.

ESO does not restart workloads; the consuming Deployment carries a checksum of
the mappings, so a mapping change rolls it, and may opt into Reloader for
value changes.

`refreshInterval` is rendered in Go's canonical form (`1h` as `1h0m0s`). ESO
adds its finalizer with a full update, which writes the spec back in that form
under ESO's own field manager; a server-side apply of `1h` afterwards (the
next `pulumi up` that changes the ExternalSecret) then fails with a conflict
on `.spec.refreshInterval`. tests/secret_chain shows both against a real ESO.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components.vault_static_secret import PROVIDED_KEYS_ANNOTATION
from config_models.secret_source import AzureKeyVaultSource

EXTERNAL_SECRETS_API_VERSION = "external-secrets.io/v1"
WORKLOAD_IDENTITY_CLIENT_ID = "azure.workload.identity/client-id"
WORKLOAD_IDENTITY_TENANT_ID = "azure.workload.identity/tenant-id"
RELOADER_ANNOTATION = "secret.reloader.stakater.com/reload"
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_NANOSECONDS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def canonical_go_duration(value: str) -> str:
    """A Go duration as Go's time.Duration.String() prints it: `1h` -> `1h0m0s`, `90s` -> `1m30s`."""
    total = sum(Decimal(number) * _NANOSECONDS[unit] for number, unit in _DURATION_PART.findall(value))
    nanoseconds = int(total)
    if nanoseconds < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if nanoseconds >= size or unit == "ns":
                return _trim(Decimal(nanoseconds) / size) + unit
    hours, rest = divmod(nanoseconds, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = _trim(Decimal(rest) / 10**9) + "s"
    if hours:
        return f"{hours}h{minutes}m{seconds}"
    return f"{minutes}m{seconds}" if minutes else seconds


def _trim(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def key_vault_reader_name(service_name: str) -> str:
    """Name of the per-service ServiceAccount and SecretStore."""
    return f"{service_name}-key-vault"


def build_service_account(service_name: str, namespace: str, client_id: str, tenant_id: str,
                          labels: dict[str, str]) -> dict:
    return {
        "metadata": {
            "name": key_vault_reader_name(service_name),
            "namespace": namespace,
            "labels": labels,
            "annotations": {WORKLOAD_IDENTITY_CLIENT_ID: client_id, WORKLOAD_IDENTITY_TENANT_ID: tenant_id},
        },
        # ESO requests this account's token through TokenRequest; no pod mounts it.
        "automountServiceAccountToken": False,
    }


def build_secret_store(service_name: str, namespace: str, vault_url: str, tenant_id: str,
                       labels: dict[str, str]) -> dict:
    return {
        "apiVersion": EXTERNAL_SECRETS_API_VERSION,
        "kind": "SecretStore",
        "metadata": {"name": key_vault_reader_name(service_name), "namespace": namespace, "labels": labels},
        "spec": {
            "provider": {
                "azurekv": {
                    "vaultUrl": vault_url,
                    "authType": "WorkloadIdentity",
                    "tenantId": tenant_id,
                    "serviceAccountRef": {"name": key_vault_reader_name(service_name)},
                }
            }
        },
    }


def build_external_secret(secret_name: str, service_name: str, namespace: str, source: AzureKeyVaultSource,
                          labels: dict[str, str]) -> dict:
    if source.cluster_secret_store is not None:
        store = {"name": source.cluster_secret_store, "kind": "ClusterSecretStore"}
    else:
        store = {"name": key_vault_reader_name(service_name), "kind": "SecretStore"}
    return {
        "apiVersion": EXTERNAL_SECRETS_API_VERSION,
        "kind": "ExternalSecret",
        "metadata": {
            "name": secret_name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {PROVIDED_KEYS_ANNOTATION: ",".join(sorted(source.provided_keys))},
        },
        "spec": {
            "refreshInterval": canonical_go_duration(source.refresh_interval),
            "secretStoreRef": store,
            "target": {"name": secret_name, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
            "data": [
                {"secretKey": mapping.secret_key, "remoteRef": {"key": mapping.key_vault_secret}}
                for mapping in source.data
            ],
        },
    }


class ExternalSecretSync(pulumi.ComponentResource):
    """A service's Key Vault secrets: ServiceAccount, SecretStore and ExternalSecrets."""

    secret_names: list[str]
    """The Kubernetes Secrets this component's ExternalSecrets create."""

    def __init__(self, name: str, namespace: str, sources: dict[str, AzureKeyVaultSource], labels: dict[str, str],
                 tenant_id: str, vault_url: pulumi.Input[str], client_id: Optional[pulumi.Input[str]],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:secrets:ExternalSecretSync", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        depends_on: list[pulumi.Resource] = []
        if client_id is not None:
            account = pulumi.Output.from_input(client_id).apply(
                lambda resolved: build_service_account(name, namespace, resolved, tenant_id, labels))
            self.service_account = k8s.core.v1.ServiceAccount(
                f"{name}-key-vault-service-account",
                metadata=account["metadata"],
                automount_service_account_token=False,
                opts=child,
            )
            store = pulumi.Output.from_input(vault_url).apply(
                lambda url: build_secret_store(name, namespace, url, tenant_id, labels))
            self.secret_store = k8s.apiextensions.CustomResource(
                f"{name}-secret-store",
                api_version=EXTERNAL_SECRETS_API_VERSION,
                kind="SecretStore",
                metadata=store["metadata"],
                spec=store["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.service_account]),
            )
            depends_on.append(self.secret_store)
        self.external_secrets = []
        for secret_name, source in sorted(sources.items()):
            manifest = build_external_secret(secret_name, name, namespace, source, labels)
            self.external_secrets.append(k8s.apiextensions.CustomResource(
                f"{secret_name}-external-secret",
                api_version=manifest["apiVersion"],
                kind=manifest["kind"],
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            ))
        self.secret_names = sorted(sources)
        self.register_outputs({"secret_names": self.secret_names})

"""Typed models of the custom-resource specs this program emits, for strict validation.

kubernetes-validate covers only built-in kinds; these closed pydantic models
cover the operator CRDs (field names and enums as in the VSO
`secrets.hashicorp.com/v1beta1` and ESO `external-secrets.io/v1` CRDs), so a
misspelt or misplaced field fails the test instead of being dropped by the API
server's pruning.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metadata(Closed):
    name: str
    namespace: str
    labels: Optional[dict[str, str]] = None
    annotations: Optional[dict[str, str]] = None


# --- Vault Secrets Operator -------------------------------------------------
class RolloutRestartTarget(Closed):
    kind: Literal["Deployment", "DaemonSet", "StatefulSet", "argo.Rollout"]
    name: str


class Transformation(Closed):
    excludeRaw: Optional[bool] = None


class Destination(Closed):
    name: str
    create: bool
    overwrite: Optional[bool] = None
    transformation: Optional[Transformation] = None
    labels: Optional[dict[str, str]] = None
    annotations: Optional[dict[str, str]] = None
    type: Optional[str] = None


class VaultStaticSecretSpec(Closed):
    vaultAuthRef: str
    namespace: Optional[str] = None
    mount: str
    path: str
    version: Optional[int] = None
    type: Literal["kv-v1", "kv-v2"]
    refreshAfter: str
    hmacSecretData: bool
    rolloutRestartTargets: list[RolloutRestartTarget]
    destination: Destination


class VaultAuthKubernetes(Closed):
    role: str
    serviceAccount: str
    audiences: Optional[list[str]] = None
    tokenExpirationSeconds: Optional[int] = None


class VaultAuthSpec(Closed):
    vaultConnectionRef: str
    namespace: Optional[str] = None
    method: Literal["kubernetes", "jwt", "appRole", "aws", "gcp"]
    mount: str
    kubernetes: VaultAuthKubernetes


class VaultConnectionSpec(Closed):
    address: str
    skipTLSVerify: bool
    tlsServerName: Optional[str] = None
    caCertSecretRef: Optional[str] = None


# --- External Secrets Operator ----------------------------------------------
class ServiceAccountRef(Closed):
    name: str
    namespace: Optional[str] = None
    audiences: Optional[list[str]] = None


class AzureKeyVaultProvider(Closed):
    vaultUrl: str
    authType: Literal["ServicePrincipal", "ManagedIdentity", "WorkloadIdentity"]
    serviceAccountRef: ServiceAccountRef
    tenantId: Optional[str] = None
    environmentType: Optional[str] = None


class SecretStoreProvider(Closed):
    azurekv: AzureKeyVaultProvider


class SecretStoreSpec(Closed):
    provider: SecretStoreProvider
    refreshInterval: Optional[int] = None


class SecretStoreRef(Closed):
    name: str
    kind: Literal["SecretStore", "ClusterSecretStore"]


class ExternalSecretTarget(Closed):
    name: str
    creationPolicy: Literal["Owner", "Orphan", "Merge", "None"]
    deletionPolicy: Literal["Delete", "Merge", "Retain"]
    template: Optional[dict] = None


class RemoteRef(Closed):
    key: str
    version: Optional[str] = None
    property: Optional[str] = None


class ExternalSecretData(Closed):
    secretKey: str
    remoteRef: RemoteRef


class ExternalSecretSpec(Closed):
    refreshInterval: str
    secretStoreRef: SecretStoreRef
    target: ExternalSecretTarget
    data: list[ExternalSecretData]


SPEC_MODELS: dict[tuple[str, str], type[Closed]] = {
    ("secrets.hashicorp.com/v1beta1", "VaultStaticSecret"): VaultStaticSecretSpec,
    ("secrets.hashicorp.com/v1beta1", "VaultAuth"): VaultAuthSpec,
    ("secrets.hashicorp.com/v1beta1", "VaultConnection"): VaultConnectionSpec,
    ("external-secrets.io/v1", "SecretStore"): SecretStoreSpec,
    ("external-secrets.io/v1", "ExternalSecret"): ExternalSecretSpec,
}

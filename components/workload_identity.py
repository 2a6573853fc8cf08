"""AKS Workload Identity for one Kubernetes service account: one role on one Azure resource.

Three Azure resources: a user-assigned managed identity; a federated identity
credential that trusts tokens the cluster's OIDC issuer signs for exactly
`system:serviceaccount:<namespace>:<name>` with audience
`api://AzureADTokenExchange`; and one role assignment scoped to the one
resource it needs (not the resource group or subscription): "Key Vault
Secrets User" on the vault for External Secrets (the default), "Storage Blob
Data Contributor" on one blob container for a Litestream backup. No client
secret or account key exists anywhere.
"""
from __future__ import annotations

import uuid
from typing import Optional

import pulumi

from config_models.azure import AzureSpec

KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6"
STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
# Role assignment names must be GUIDs; derive one from what the assignment
# means, so the same config always yields the same name (no duplicate on re-run).
_ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("6c1f0c1e-7d4b-4f6e-9a57-6b2f3f9a1c42")


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def role_assignment_name(environment: str, namespace: str, service_account: str, scope_name: str) -> str:
    return str(uuid.uuid5(_ROLE_ASSIGNMENT_NAMESPACE, f"{environment}/{namespace}/{service_account}/{scope_name}"))


class WorkloadIdentity(pulumi.ComponentResource):
    """Managed identity + federated credential + one role on one resource (Key Vault Secrets User by default)."""

    client_id: pulumi.Output[str]
    """Client id for the service account's `azure.workload.identity/client-id` annotation."""

    def __init__(self, name: str, azure: AzureSpec, environment: str, namespace: str, service_account: str,
                 vault_id: pulumi.Input[str], oidc_issuer_url: pulumi.Input[str],
                 opts: Optional[pulumi.ResourceOptions] = None, *, role: str = KEY_VAULT_SECRETS_USER_ROLE,
                 role_label: str = "key-vault-secrets-user", scope_name: Optional[str] = None):
        super().__init__("platform:azure:WorkloadIdentity", name, None, opts)
        import pulumi_azure_native as azure_native

        child = pulumi.ResourceOptions(parent=self)
        self.identity = azure_native.managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=f"id-{environment}-{namespace}-{service_account}",
            resource_group_name=azure.resource_group_name,
            location=azure.location,
            opts=child,
        )
        self.federated_credential = azure_native.managedidentity.FederatedIdentityCredential(
            f"{name}-federated-credential",
            federated_identity_credential_resource_name=f"{namespace}-{service_account}",
            resource_name_=self.identity.name,
            resource_group_name=azure.resource_group_name,
            issuer=oidc_issuer_url,
            subject=service_account_subject(namespace, service_account),
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            opts=child,
        )
        self.role_assignment = azure_native.authorization.RoleAssignment(
            f"{name}-{role_label}",
            role_assignment_name=role_assignment_name(
                environment, namespace, service_account,
                scope_name if scope_name is not None else azure.key_vault.name),
            principal_id=self.identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=(f"/subscriptions/{azure.subscription_id}/providers/Microsoft.Authorization/"
                                f"roleDefinitions/{role}"),
            scope=vault_id,
            opts=child,
        )
        self.client_id = self.identity.client_id
        self.register_outputs({"client_id": self.client_id})

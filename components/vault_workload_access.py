"""Least-privilege access from one workload to its own OpenBao/Vault secrets.

Per service, both halves of the Vault Secrets Operator's login:
- on the Vault server (pulumi-vault): a policy granting `read` on exactly the
  kv-v2 `data/` and `metadata/` paths the service's VaultStaticSecrets sync,
  and a Kubernetes auth role binding that policy to one service account in
  one namespace;
- in the cluster: that ServiceAccount (VSO requests its token through the
  TokenRequest API, so nothing is mounted in any pod), a `VaultConnection`
  and a `VaultAuth` (kubernetes method) that the VaultStaticSecrets name.

Ownership is by path: a kv path belongs to the service named by its first
segment (`secret/sol/...` is Sol's), so a workload that names another's path
is refused before deployment instead of being granted it. The generated
policy is checked against a real OpenBao server in tests.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from config_models.secret_source import VaultSource
from config_models.vault_server import VaultServerSpec

VSO_API_VERSION = "secrets.hashicorp.com/v1beta1"
VAULT_AUDIENCE = "vault"


def kv_policy_paths(sources: list[VaultSource]) -> list[str]:
    """The exact kv-v2 API paths VSO reads for these sources: data/ and metadata/ of each."""
    paths = set()
    for source in sources:
        paths.add(f"{source.mount}/data/{source.path}")
        paths.add(f"{source.mount}/metadata/{source.path}")
    return sorted(paths)


def build_read_policy(sources: list[VaultSource]) -> str:
    """HCL granting read on exactly those paths and nothing else (no globs)."""
    blocks = [f'path "{path}" {{\n  capabilities = ["read"]\n}}\n' for path in kv_policy_paths(sources)]
    return "\n".join(blocks)


def vault_auth_name(service_name: str) -> str:
    return f"{service_name}-vault-auth"


def vault_role_name(namespace: str, service_name: str) -> str:
    return f"{namespace}-{service_name}"


PUBLIC_CERTIFICATE_ANNOTATION = "platform/public-certificate"


def vault_ca_secret_name(service_name: str) -> str:
    return f"{service_name}-vault-ca"


def build_vault_auth_manifests(service_name: str, namespace: str, server: VaultServerSpec,
                               labels: dict[str, str], ca_certificate: Optional[str] = None) -> list[dict]:
    auth_name = vault_auth_name(service_name)
    connection_name = f"{service_name}-vault-connection"
    connection_spec: dict = {"address": server.address, "skipTLSVerify": server.skip_tls_verify}
    manifests = []
    if ca_certificate is not None:
        connection_spec["caCertSecretRef"] = vault_ca_secret_name(service_name)
        manifests.append({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": vault_ca_secret_name(service_name), "namespace": namespace, "labels": labels,
                         # VSO reads the CA only from a Secret; its content is a public certificate.
                         "annotations": {PUBLIC_CERTIFICATE_ANNOTATION: "true"}},
            "type": "Opaque",
            "stringData": {"ca.crt": ca_certificate},
        })
    return manifests + [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": auth_name, "namespace": namespace, "labels": labels},
            # Only VSO uses this identity, through TokenRequest; no pod mounts it.
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": VSO_API_VERSION,
            "kind": "VaultConnection",
            "metadata": {"name": connection_name, "namespace": namespace, "labels": labels},
            "spec": connection_spec,
        },
        {
            "apiVersion": VSO_API_VERSION,
            "kind": "VaultAuth",
            "metadata": {"name": auth_name, "namespace": namespace, "labels": labels},
            "spec": {
                "vaultConnectionRef": connection_name,
                "method": "kubernetes",
                "mount": server.kubernetes_auth_mount,
                "kubernetes": {
                    "role": vault_role_name(namespace, service_name),
                    "serviceAccount": auth_name,
                    "audiences": [VAULT_AUDIENCE],
                },
            },
        },
    ]


class VaultWorkloadAccess(pulumi.ComponentResource):
    """The Vault policy, auth role and in-cluster VaultAuth of one service."""

    vault_auth_name: str
    """metadata.name of the VaultAuth the service's VaultStaticSecrets reference."""
    policy_name: str
    """Name of the Vault policy."""

    def __init__(self, name: str, namespace: str, sources: list[VaultSource], server: VaultServerSpec,
                 labels: dict[str, str], vault_provider: Optional[pulumi.ProviderResource] = None,
                 manage_vault_server: bool = True, ca_certificate: Optional[str] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:secrets:VaultWorkloadAccess", name, None, opts)
        children = []
        for manifest in build_vault_auth_manifests(name, namespace, server, labels, ca_certificate):
            role = manifest["kind"].lower()
            if manifest["kind"] == "Secret":
                children.append(k8s.core.v1.Secret(
                    f"{name}-vault-ca", metadata=manifest["metadata"], type=manifest["type"],
                    string_data=manifest["stringData"], opts=pulumi.ResourceOptions(parent=self)))
            elif manifest["kind"] == "ServiceAccount":
                children.append(k8s.core.v1.ServiceAccount(
                    f"{name}-{role}", metadata=manifest["metadata"],
                    automount_service_account_token=manifest["automountServiceAccountToken"],
                    opts=pulumi.ResourceOptions(parent=self)))
            else:
                children.append(k8s.apiextensions.CustomResource(
                    f"{name}-{role}", api_version=manifest["apiVersion"], kind=manifest["kind"],
                    metadata=manifest["metadata"], spec=manifest["spec"],
                    opts=pulumi.ResourceOptions(parent=self)))
        policy_name = f"{namespace}-{name}-read"
        if manage_vault_server:
            # Imported lazily: pulumi-vault is only needed when the program
            # manages the Vault side (see README, "Render mode").
            import pulumi_vault as vault

            vault_opts = pulumi.ResourceOptions(parent=self, provider=vault_provider)
            self.policy = vault.Policy(f"{name}-policy", name=policy_name, policy=build_read_policy(sources),
                                       opts=vault_opts)
            self.auth_role = vault.kubernetes.AuthBackendRole(
                f"{name}-auth-role",
                backend=server.kubernetes_auth_mount,
                role_name=vault_role_name(namespace, name),
                bound_service_account_names=[vault_auth_name(name)],
                bound_service_account_namespaces=[namespace],
                audience=VAULT_AUDIENCE,
                token_policies=[self.policy.name],
                token_ttl=server.token_ttl_seconds,
                opts=vault_opts,
            )
        self.vault_auth_name = vault_auth_name(name)
        self.policy_name = policy_name
        self.register_outputs({"vault_auth_name": self.vault_auth_name, "policy_name": self.policy_name})

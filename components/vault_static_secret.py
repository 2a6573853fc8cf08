"""A Kubernetes Secret kept in sync with one kv-v2 secret by the Vault Secrets Operator.

The VaultStaticSecret names the Deployment to restart when the value changes
(`rolloutRestartTargets`), which needs `hmacSecretData: true` for VSO to
detect changes. VSS specs do not list keys, so the keys the secret is declared
to hold are written to an annotation (`stackctl/provided-keys`), where the
policy pack's coverage rule reads them.

`destination.transformation.excludeRaw: true`: by default VSO adds a `_raw`
key holding OpenBao's whole response (every value again, plus metadata), so
the Secret would hold a key nobody declared, and `envFrom` would turn it into
an env var. Excluded, the Secret holds exactly the kv keys (tests/secret_chain
shows both against a real VSO).
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from config_models.secret_source import VaultSource

VAULT_STATIC_SECRET_API_VERSION = "secrets.hashicorp.com/v1beta1"
PROVIDED_KEYS_ANNOTATION = "stackctl/provided-keys"


def build_vault_static_secret_manifest(
    secret_name: str,
    namespace: str,
    source: VaultSource,
    vault_auth_name: str,
    restart_deployments: list[str],
    labels: dict[str, str],
) -> dict:
    return {
        "apiVersion": VAULT_STATIC_SECRET_API_VERSION,
        "kind": "VaultStaticSecret",
        "metadata": {
            "name": secret_name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {PROVIDED_KEYS_ANNOTATION: ",".join(sorted(source.provided_keys))},
        },
        "spec": {
            "vaultAuthRef": vault_auth_name,
            "mount": source.mount,
            "type": "kv-v2",
            "path": source.path,
            "refreshAfter": source.refresh_after,
            "hmacSecretData": True,
            "rolloutRestartTargets": [{"kind": "Deployment", "name": name} for name in restart_deployments],
            "destination": {"name": secret_name, "create": True, "overwrite": True,
                            "transformation": {"excludeRaw": True}},
        },
    }


class VaultStaticSecretSync(pulumi.ComponentResource):
    """The VaultStaticSecret that creates and refreshes one Secret."""

    secret_name: str
    """metadata.name of the Kubernetes Secret VSO writes."""
    provided_keys: list[str]
    """Keys the Secret is declared to hold."""

    def __init__(self, name: str, namespace: str, source: VaultSource, vault_auth_name: str,
                 restart_deployments: list[str], labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:secrets:VaultStaticSecretSync", name, None, opts)
        manifest = build_vault_static_secret_manifest(
            name, namespace, source, vault_auth_name, restart_deployments, labels
        )
        self.vault_static_secret = k8s.apiextensions.CustomResource(
            f"{name}-vault-static-secret",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.provided_keys = sorted(source.keys)
        self.secret_name = name
        self.register_outputs({"secret_name": self.secret_name})

"""The config model of a whole stack file: `StackConfig` is everything a stack deploys."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator

from config_models.azure import AzureSpec
from config_models.base import ConfigModel
from config_models.kubernetes_names import check_dns_label
from config_models.namespace import NamespaceSpec
from config_models.network import NetworkSpec
from config_models.release import ReleaseSpec
from config_models.routing import RoutingSpec
from config_models.storage import StorageSpec
from config_models.vault_server import VaultServerSpec
from config_models.workloads.kinds import WORKLOAD_KIND_MODELS, AnyWorkloadSpec

PROJECT_NAME = "platform"
# Config namespaces of the providers the program uses; their keys are passed
# to the providers by the Pulumi engine, not read by this program.
PROVIDER_CONFIG_NAMESPACES = ("kubernetes", "azure-native", "vault", "pulumi")


class KubernetesSpec(ConfigModel):
    render_yaml_to_directory: Optional[str] = Field(
        None, description="Render manifests to this directory instead of applying them (no cluster). Default: apply."
    )
    skip_cloud_resources_without_plugins: bool = Field(
        False, description="Apply only the Kubernetes half when the azure-native or vault plugin is absent (a local "
                           "test cluster, scripts/local-cluster): those resources are skipped with a warning. "
                           "Default: false (a missing plugin is the engine's error; always so in render mode: true).")


class StackConfig(ConfigModel):
    """Everything a stack deploys. Staging and prod differ only in these values."""

    environment: Literal["dev", "staging", "prod"] = Field(description="dev, staging or prod. Required.")
    kubernetes: KubernetesSpec = Field(default_factory=KubernetesSpec, description="Default: apply to the cluster.")
    release: ReleaseSpec = Field(description="Pinned images of every component. Required.")
    namespaces: dict[str, NamespaceSpec] = Field(description="Namespaces this stack owns. Required.")
    services: dict[str, AnyWorkloadSpec] = Field(  # type: ignore[valid-type]
        description=f"Workloads by name, each of one kind ({', '.join(WORKLOAD_KIND_MODELS)}; default singleWriter). "
                    "Required.")
    vault: Optional[VaultServerSpec] = Field(None, description="OpenBao/Vault server. Required if a service uses vault.")
    azure: Optional[AzureSpec] = Field(None, description="Azure identifiers. Required if a service uses azureKeyVault.")
    routing: Optional[RoutingSpec] = Field(None, description="Ingress routes to services. Default: none.")
    storage: StorageSpec = Field(default_factory=StorageSpec, description="StorageClasses: created (retaining) "
                                                                          "or declared. Default: none.")
    network: NetworkSpec = Field(default_factory=NetworkSpec, description="Where DNS and the ingress data plane "
                                                                          "run, for the derived NetworkPolicies.")

    @field_validator("namespaces", "services")
    @classmethod
    def _names(cls, value: dict) -> dict:
        for name in value:
            check_dns_label(name)
        return value

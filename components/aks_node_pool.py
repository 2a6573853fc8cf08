"""The AKS node pool whose cluster-autoscaler floor is codified here, owner-gated.

The pool autoscales between `minCount` (the floor) and `maxCount`. `count`
is set once at creation and then ignored, so the autoscaler's decisions are
not reverted by the next `pulumi up`. The pool is protected. Changing the
floor or the maximum needs a second, deliberate edit: `ownerApprovedBounds`
must repeat the new values (put that line under CODEOWNERS), so a routine
`pulumi up` cannot resize the cluster by accident.

The cluster is either existing (referenced by name) or managed by the
program (`managed:`), in which case its OIDC issuer feeds Workload Identity.
"""
from __future__ import annotations

from typing import Literal, Optional

import pulumi
from pydantic import Field, field_validator, model_validator

from .config_model import ConfigModel
from .node_pool_headroom import ALLOCATABLE_BY_VM_SIZE


class ScalingBounds(ConfigModel):
    min_count: int = Field(ge=0, le=1000, description="The floor. Required.")
    max_count: int = Field(ge=1, le=1000, description="The maximum. Required.")


class NodePoolSpec(ConfigModel):
    name: str = Field(description="Agent pool name: lowercase letters and digits, at most 12. Required.")
    vm_size: str = Field(description="VM size, one of the sizes in the headroom table. Required.")
    mode: Literal["System", "User"] = Field("User", description="Default: User.")
    min_count: int = Field(ge=0, le=1000, description="Autoscaler floor. Required.")
    max_count: int = Field(ge=1, le=1000, description="Autoscaler maximum. Required.")
    initial_count: Optional[int] = Field(None, ge=0, description="Nodes at creation, then ignored. Default: minCount.")
    owner_approved_bounds: ScalingBounds = Field(
        description="Must equal {minCount, maxCount}: the owner's confirmation of a resize. Required."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not (value.isalnum() and value.islower() and 1 <= len(value) <= 12 and value[0].isalpha()):
            raise ValueError(f"{value!r} must be 1-12 lowercase letters and digits, starting with a letter")
        return value

    @field_validator("vm_size")
    @classmethod
    def _vm_size(cls, value: str) -> str:
        if value not in ALLOCATABLE_BY_VM_SIZE:
            raise ValueError(f"{value!r} has no allocatable entry for the headroom check "
                             f"(known: {sorted(ALLOCATABLE_BY_VM_SIZE)}; add it in components/node_pool_headroom.py)")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> "NodePoolSpec":
        if self.min_count > self.max_count:
            raise ValueError(f"minCount {self.min_count} must not exceed maxCount {self.max_count}")
        if self.initial_count is not None and not self.min_count <= self.initial_count <= self.max_count:
            raise ValueError(f"initialCount {self.initial_count} must be between minCount {self.min_count} "
                             f"and maxCount {self.max_count}")
        approved = self.owner_approved_bounds
        if (approved.min_count, approved.max_count) != (self.min_count, self.max_count):
            raise ValueError(
                f"minCount/maxCount {self.min_count}/{self.max_count} differ from ownerApprovedBounds "
                f"{approved.min_count}/{approved.max_count}: resizing the pool needs the owner's confirmation "
                f"(set ownerApprovedBounds to {{minCount: {self.min_count}, maxCount: {self.max_count}}})"
            )
        return self


class ManagedClusterSpec(ConfigModel):
    dns_prefix: str = Field(description="DNS prefix of the API server. Required.")
    kubernetes_version: Optional[str] = Field(None, description="Default: the AKS default version.")
    system_vm_size: str = Field("Standard_B2s", description="VM size of the system pool. Default: Standard_B2s.")
    system_node_count: int = Field(1, ge=1, description="Nodes in the system pool. Default: 1.")


class AksClusterSpec(ConfigModel):
    name: str = Field(description="AKS cluster name. Required.")
    managed: Optional[ManagedClusterSpec] = Field(
        None, description="Create and own the cluster. Default: the cluster exists and is only referenced."
    )
    node_pool: NodePoolSpec = Field(description="The autoscaled workload pool. Required.")


def build_agent_pool_args(spec: NodePoolSpec) -> dict:
    return {
        "agent_pool_name": spec.name,
        "vm_size": spec.vm_size,
        "mode": spec.mode,
        "os_type": "Linux",
        "type": "VirtualMachineScaleSets",
        "enable_auto_scaling": True,
        "min_count": spec.min_count,
        "max_count": spec.max_count,
        "count": spec.initial_count if spec.initial_count is not None else spec.min_count,
    }


class AksNodePool(pulumi.ComponentResource):
    """The autoscaled pool (and the cluster, when managed)."""

    oidc_issuer_url: Optional[pulumi.Output[str]]
    """The managed cluster's OIDC issuer; None for an existing cluster (config gives it)."""

    def __init__(self, name: str, cluster: AksClusterSpec, resource_group_name: str, location: str,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:azure:AksNodePool", name, None, opts)
        import pulumi_azure_native as azure_native

        cluster_name: pulumi.Input[str] = cluster.name
        depends_on = []
        self.oidc_issuer_url = None
        if cluster.managed is not None:
            managed = cluster.managed
            self.cluster = azure_native.containerservice.ManagedCluster(
                f"{name}-cluster",
                resource_name_=cluster.name,
                resource_group_name=resource_group_name,
                location=location,
                dns_prefix=managed.dns_prefix,
                kubernetes_version=managed.kubernetes_version,
                identity={"type": "SystemAssigned"},
                oidc_issuer_profile={"enabled": True},
                security_profile={"workloadIdentity": {"enabled": True}},
                agent_pool_profiles=[{
                    "name": "system", "mode": "System", "vmSize": managed.system_vm_size,
                    "count": managed.system_node_count, "osType": "Linux", "type": "VirtualMachineScaleSets",
                }],
                # The workload pool is its own AgentPool resource; the API
                # lists it here too, which must not read as drift.
                opts=pulumi.ResourceOptions(parent=self, protect=True, ignore_changes=["agentPoolProfiles"]),
            )
            cluster_name = self.cluster.name
            depends_on.append(self.cluster)
            self.oidc_issuer_url = self.cluster.oidc_issuer_profile.apply(lambda profile: profile.issuer_url)
        self.agent_pool = azure_native.containerservice.AgentPool(
            f"{name}-agent-pool",
            resource_group_name=resource_group_name,
            resource_name_=cluster_name,
            **build_agent_pool_args(cluster.node_pool),
            opts=pulumi.ResourceOptions(parent=self, protect=True, ignore_changes=["count"], depends_on=depends_on),
        )
        self.register_outputs({})

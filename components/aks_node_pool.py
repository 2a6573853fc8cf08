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

from typing import Optional

import pulumi

from config_models.azure import AksClusterSpec, NodePoolSpec


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

"""A ClusterIP Service in front of a serving workload (a single writer or a replicated Deployment).

Its selector and ports are derived from the Deployment's own labels and
container ports (`selector_labels`, `ServingWorkloadSpec.ports`), never typed twice,
so a renamed port or service cannot leave the Service pointing at nothing.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from config_models.workloads.workload import ServingWorkloadSpec, selector_labels


def build_service_manifest(name: str, spec: ServingWorkloadSpec, labels: dict[str, str]) -> dict:
    return {
        "metadata": {"name": name, "namespace": spec.namespace, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(name),
            "ports": [
                {"name": port.name, "port": port.container_port, "targetPort": port.name, "protocol": "TCP"}
                for port in spec.ports if port.in_service
            ],
        },
    }


class ClusterIpService(pulumi.ComponentResource):
    """The in-cluster address of one service, for its routes."""

    service_name: str
    """metadata.name of the Service (the same as the Deployment's)."""

    def __init__(self, name: str, spec: ServingWorkloadSpec, labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:ClusterIpService", name, None, opts)
        manifest = build_service_manifest(name, spec, labels)
        self.service = k8s.core.v1.Service(
            f"{name}-service", metadata=manifest["metadata"], spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.service_name = name
        self.register_outputs({"service_name": self.service_name})

"""A PersistentVolumeClaim that no Pulumi operation can delete.

The claim is `protect`ed, so `pulumi destroy` and any change that would
replace it (access mode, StorageClass: both immutable in Kubernetes) stop at
preview instead of dropping the volume; and `retain_on_delete`, so even after
someone unprotects it, Pulumi only forgets the claim and leaves the data on
the cluster. Moving data to a new claim is a manual, documented migration
(README, "Changing a volume"). Resizing is an in-place update and is allowed
when the StorageClass permits expansion.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from config_models.volume import VolumeSpec


def build_claim_manifest(spec: VolumeSpec, namespace: str, labels: dict[str, str]) -> dict:
    """The claim's object; `storageClassName` is omitted (not null) to get the cluster default."""
    claim_spec: dict = {
        "accessModes": [spec.access_mode],
        "resources": {"requests": {"storage": spec.size}},
    }
    if spec.storage_class is not None:
        claim_spec["storageClassName"] = spec.storage_class
    return {
        "metadata": {
            "name": spec.claim_name,
            "namespace": namespace,
            "labels": labels,
            # Most StorageClasses bind on first consumer (WaitForFirstConsumer);
            # Pulumi waiting for Bound before creating that consumer would hang.
            "annotations": {"pulumi.com/skipAwait": "true"},
        },
        "spec": claim_spec,
    }


class PersistentVolumeClaim(pulumi.ComponentResource):
    """A protected, retained claim for one service's data."""

    claim_name: str
    """metadata.name of the claim, for the Deployment's volume."""

    def __init__(self, name: str, spec: VolumeSpec, namespace: str, labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:PersistentVolumeClaim", name, None, opts)
        manifest = build_claim_manifest(spec, namespace, labels)
        self.claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-claim",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        self.claim_name = spec.claim_name
        self.register_outputs({"claim_name": self.claim_name})

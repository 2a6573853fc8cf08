"""Kind `singleWriter`: a Deployment for a service that must never run twice: one writer, one volume.

SQLite (the Sol case) corrupts or locks when two pods open the same file, and
a ReadWriteOnce volume cannot attach to two nodes. So replicas are fixed at 1,
the strategy is `Recreate` (old pod gone before the new one starts), names are
explicit and stable, and Pulumi replaces the object delete-first. None of this
is configurable: `replicas`, `strategy` and `autoscaling` exist in the config
only to give a clear error when someone tries to change them.

A release migration runs as the `migrate` init container of the new pod:
Recreate has already stopped the old writer, so the step never runs beside
it on the same file, and the app starts only once it has succeeded.

Deliberately left out: horizontal scaling, PodDisruptionBudgets (a PDB on one
replica blocks node drains) and sidecars.
"""
from __future__ import annotations

import posixpath
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.workloads.litestream import (
    LITESTREAM_CHECKSUM_ANNOTATION, LITESTREAM_CONFIG_KEY, WORKLOAD_IDENTITY_SKIP_CONTAINERS,
    WORKLOAD_IDENTITY_USE_LABEL, build_litestream_config, replicate_sidecar, restore_containers,
)
from components.workloads.pod_hardening import container_security_context
from components.workloads.pod_template import (
    CONFIG_CHECKSUM_ANNOTATION, DATA_VOLUME, SECRET_MAPPING_CHECKSUM_ANNOTATION, DataMount, PodExtras,
    build_config_map_data, build_migration_container,
)
from components.workloads.pod_template import build_pod_template as build_common_pod_template
from components.workloads.pod_template import config_map_resource
from components.workloads.workload_inputs import WorkloadInputs, content_checksum
from config_models.backup import backup_service_account
from config_models.workloads.single_writer import DATA_DIRECTORIES_REQUESTS, SingleWriterSpec
from config_models.workloads.workload import selector_labels, workload_labels

__all__ = [
    "CONFIG_CHECKSUM_ANNOTATION", "SECRET_MAPPING_CHECKSUM_ANNOTATION", "SingleWriterDeployment",
    "build_pod_template", "build_deployment_manifest",
]


def build_pod_template(
    name: str,
    spec: SingleWriterSpec,
    environment: str,
    image: str,
    config_map_data: dict[str, str],
    init_image: Optional[str] = None,
    extra_annotations: Optional[dict[str, str]] = None,
    migration_image: Optional[str] = None,
    backup_image: Optional[str] = None,
    litestream_config: Optional[str] = None,
) -> dict[str, Any]:
    """The single writer's pod template: the common pod plus its claim, init containers and backup sidecar."""
    data = DataMount(spec.data.claim_name, spec.data.mount_path)
    init_containers: list[dict[str, Any]] = []
    if spec.data_directories is not None:
        if init_image is None:
            raise ValueError(f"service {name!r}: dataDirectories needs its image")
        directories = [posixpath.join(spec.data.mount_path, path.strip("/")) for path in spec.data_directories.paths]
        init_containers.append({
            "name": "create-data-directories",
            "image": init_image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["mkdir", "-p", *directories],
            # Same user as the service, so what it creates is the service's;
            # fsGroup already made the volume writable by that group.
            "securityContext": container_security_context(spec.identity),
            "resources": {"requests": dict(DATA_DIRECTORIES_REQUESTS), "limits": {"memory": "32Mi"}},
            "volumeMounts": [{"name": DATA_VOLUME, "mountPath": spec.data.mount_path}],
        })
    backup = spec.data.backup
    if backup is not None:
        if backup_image is None or litestream_config is None:
            raise ValueError(f"service {name!r}: data.backup needs its image and its Litestream config")
        # Restore before anything opens the database: the migration, then the app.
        init_containers += restore_containers(backup, backup_image, spec.identity, DATA_VOLUME, spec.data.mount_path)
    if spec.migration is not None:
        if migration_image is None:
            raise ValueError(f"service {name!r}: migration needs its image")
        # After the directories exist (and the database is restored), before the app: the old writer is gone
        # (Recreate).
        init_containers.append(build_migration_container(spec, spec.migration, migration_image, data))
    annotations = dict(extra_annotations or {})
    pod_spec: dict[str, Any] = {}
    labels: dict[str, str] = {}
    if backup is not None:
        # Last init container, restartPolicy Always: starts once the database exists, stops after the app.
        init_containers.append(replicate_sidecar(backup_image, spec.identity, DATA_VOLUME, spec.data.mount_path))
        pod_spec["serviceAccountName"] = backup_service_account(name)
        labels[WORKLOAD_IDENTITY_USE_LABEL] = "true"
        # The federated token only where it is used: never in the app or its migration.
        others = [name] + [c["name"] for c in init_containers if not c["name"].startswith("litestream")]
        annotations[WORKLOAD_IDENTITY_SKIP_CONTAINERS] = ";".join(others)
        annotations[LITESTREAM_CHECKSUM_ANNOTATION] = content_checksum(litestream_config)
    template = build_common_pod_template(
        name, spec, environment, image, config_map_data,
        PodExtras(data=data, init_containers=init_containers, annotations=annotations, pod_spec=pod_spec),
    )
    if backup is not None:
        template["metadata"]["labels"].update(labels)
        template["spec"]["volumes"].append(
            {"name": "litestream", "configMap": {"name": litestream_config_map_name(name)}})
    return template


def litestream_config_map_name(name: str) -> str:
    return f"{name}-litestream"


def build_deployment_manifest(name: str, spec: SingleWriterSpec, environment: str, pod_template: dict[str, Any],
                              annotations: Optional[dict[str, str]] = None) -> dict:
    metadata: dict[str, Any] = {"name": name, "namespace": spec.namespace, "labels": workload_labels(name, environment)}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return {
        "metadata": metadata,
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector_labels(name)},
            "template": pod_template,
        },
    }


class SingleWriterDeployment(pulumi.ComponentResource):
    """One pod of one service, with its ConfigMap; replaced delete-first so two writers never overlap."""

    deployment_name: str
    """metadata.name of the Deployment (VaultStaticSecret restart targets point here)."""
    image: str
    """The digest-pinned image the container runs."""

    def __init__(self, name: str, spec: SingleWriterSpec, inputs: WorkloadInputs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:SingleWriterDeployment", name, None, opts)
        environment, file_contents, image = inputs.environment, inputs.file_contents, inputs.images[name]
        init_image = inputs.images[spec.data_directories.image] if spec.data_directories else None
        migration_image = inputs.images[spec.migration.image or name] if spec.migration else None
        backup_image = inputs.images[spec.data.backup.image] if spec.data.backup else None
        backup_account, backup_client_id = inputs.backup_account, inputs.backup_client_id
        extra_annotations, deployment_annotations = inputs.pod_annotations, inputs.workload_annotations
        config_map_data = build_config_map_data(spec, file_contents)
        config_map = config_map_resource(self, name, spec, environment, config_map_data)
        depends_on: list[pulumi.Resource] = []
        if config_map is not None:
            self.config_map = config_map
            depends_on.append(config_map)
        litestream_config = None
        if spec.data.backup is not None:
            assert backup_account is not None
            litestream_config = build_litestream_config(name, spec.data.mount_path, spec.data.backup, backup_account)
            labels = workload_labels(name, environment)
            self.litestream_config = k8s.core.v1.ConfigMap(
                f"{name}-litestream-config",
                metadata={"name": litestream_config_map_name(name), "namespace": spec.namespace, "labels": labels},
                data={LITESTREAM_CONFIG_KEY: litestream_config},
                opts=pulumi.ResourceOptions(parent=self))
            # The identity the Litestream containers run as; the webhook trades its token for Entra ID's.
            self.backup_service_account = k8s.core.v1.ServiceAccount(
                f"{name}-backup-service-account",
                metadata={"name": backup_service_account(name), "namespace": spec.namespace, "labels": labels,
                          "annotations": {"azure.workload.identity/client-id": backup_client_id}},
                # The webhook projects its own token; no API token is mounted.
                automount_service_account_token=False,
                opts=pulumi.ResourceOptions(parent=self))
            depends_on += [self.litestream_config, self.backup_service_account]
        pod_template = build_pod_template(
            name, spec, environment, image, config_map_data, init_image, extra_annotations, migration_image,
            backup_image, litestream_config,
        )
        manifest = build_deployment_manifest(name, spec, environment, pod_template, deployment_annotations)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=depends_on),
        )
        self.deployment_name = name
        self.image = image
        self.register_outputs({"deployment_name": self.deployment_name, "image": self.image})

"""The hardened pod template every workload kind runs: one app container, its env, secrets, files and probes.

Kinds differ only in what they add around it (a data claim, init containers,
a preStop drain, the restart policy); they pass those in, and everything a
pod must always have (the `pod_hardening` defaults, a scratch `/tmp` for the
read-only root filesystem, the config checksum that rolls pods when a mounted
file changes) is set here, once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.workloads.pod_hardening import container_security_context, pod_security_context, pod_spec_defaults
from components.workloads.workload_inputs import content_checksum
from config_models.workloads.workload import (
    MigrationSpec, ProbeSpec, ServingWorkloadSpec, WorkloadSpec, workload_labels,
)

CONFIG_CHECKSUM_ANNOTATION = "checksum/config"
SECRET_MAPPING_CHECKSUM_ANNOTATION = "checksum/secret-mapping"
TMP_VOLUME_SIZE = "64Mi"
DATA_VOLUME = "data"


@dataclass(frozen=True)
class DataMount:
    """A claim mounted into the app container (and into the init containers that need it)."""

    claim_name: str
    mount_path: str


@dataclass
class PodExtras:
    """What a kind adds to the common pod."""

    data: Optional[DataMount] = None
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    lifecycle: Optional[dict[str, Any]] = None
    pod_spec: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


def build_config_map_data(spec: WorkloadSpec, file_contents: dict[str, str]) -> dict[str, str]:
    if spec.config_files is None:
        return {}
    return {key: file_contents[file.source] for key, file in sorted(spec.config_files.files.items())}


def _probe(probe: ProbeSpec) -> dict[str, Any]:
    body: dict[str, Any] = {
        "initialDelaySeconds": probe.initial_delay_seconds,
        "periodSeconds": probe.period_seconds,
        "timeoutSeconds": probe.timeout_seconds,
        "failureThreshold": probe.failure_threshold,
    }
    if probe.http_get is not None:
        body["httpGet"] = {"path": probe.http_get.path, "port": probe.http_get.port}
    elif probe.tcp_socket_port is not None:
        body["tcpSocket"] = {"port": probe.tcp_socket_port}
    else:
        body["exec"] = {"command": list(probe.exec or [])}
    return body


def app_volume_mounts(spec: WorkloadSpec, data: Optional[DataMount]) -> list[dict[str, Any]]:
    mounts: list[dict[str, Any]] = []
    if data is not None:
        mounts.append({"name": DATA_VOLUME, "mountPath": data.mount_path})
    # readOnlyRootFilesystem: programs still need a scratch /tmp.
    mounts.append({"name": "tmp", "mountPath": "/tmp"})
    if spec.config_files is not None:
        for key, file in sorted(spec.config_files.files.items()):
            # subPath mounts never see ConfigMap updates, hence the checksum annotation.
            mounts.append({"name": "config", "mountPath": file.mount_path, "subPath": key, "readOnly": True})
    for files in spec.secret_files:
        mounts.append({"name": secret_volume_name(files.secret), "mountPath": files.mount_path, "readOnly": True})
    return mounts


def secret_volume_name(secret: str) -> str:
    return f"secret-{secret}"[:63].rstrip("-")


def secret_volumes(spec: WorkloadSpec) -> list[dict[str, Any]]:
    # Readable by the pod's group only (fsGroup); a missing Secret keeps the pod Pending, never empty.
    return [{"name": secret_volume_name(files.secret),
             "secret": {"secretName": files.secret, "defaultMode": 0o440, "optional": False}}
            for files in spec.secret_files]


def app_env(spec: WorkloadSpec, overrides: Optional[dict[str, str]] = None) -> list[dict[str, Any]]:
    fixed = {**spec.env, **(overrides or {})}
    env: list[dict[str, Any]] = [{"name": key, "value": value} for key, value in sorted(fixed.items())]
    env += [
        {"name": var, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key, "optional": False}}}
        for var, ref in sorted(spec.secret_env.items())
    ]
    return env


def container_resources(spec: WorkloadSpec) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "requests": {"cpu": spec.resources.requests.cpu, "memory": spec.resources.requests.memory},
        "limits": {"memory": spec.resources.limits.memory},
    }
    if spec.resources.limits.cpu is not None:
        resources["limits"]["cpu"] = spec.resources.limits.cpu
    return resources


def build_app_container(name: str, spec: WorkloadSpec, image: str, data: Optional[DataMount],
                        lifecycle: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "securityContext": container_security_context(spec.identity, spec.allow_writable_root_filesystem),
        "resources": container_resources(spec),
        "volumeMounts": app_volume_mounts(spec, data),
    }
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    env = app_env(spec)
    if env:
        container["env"] = env
    if spec.env_from_secrets:
        container["envFrom"] = [{"secretRef": {"name": secret, "optional": False}} for secret in spec.env_from_secrets]
    if isinstance(spec, ServingWorkloadSpec):
        if spec.ports:
            container["ports"] = [{"name": port.name, "containerPort": port.container_port, "protocol": "TCP"}
                                  for port in spec.ports]
        for kind in ("liveness", "readiness", "startup"):
            probe = getattr(spec.probes, kind)
            if probe is not None:
                container[f"{kind}Probe"] = _probe(probe)
    if lifecycle is not None:
        container["lifecycle"] = lifecycle
    return container


def build_migration_container(spec: WorkloadSpec, migration: MigrationSpec, image: str,
                              data: Optional[DataMount]) -> dict[str, Any]:
    """The migration step as a container: the app's env, secrets and files, the migration's command."""
    container: dict[str, Any] = {
        "name": "migrate",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": list(migration.command),
        "securityContext": container_security_context(spec.identity, spec.allow_writable_root_filesystem),
        # The app's own requests: the step runs before it, so the pod reserves no more.
        "resources": container_resources(spec),
        "volumeMounts": app_volume_mounts(spec, data),
    }
    if migration.args:
        container["args"] = list(migration.args)
    env = app_env(spec, migration.env)
    if env:
        container["env"] = env
    if spec.env_from_secrets:
        container["envFrom"] = [{"secretRef": {"name": secret, "optional": False}} for secret in spec.env_from_secrets]
    return container


def build_pod_template(name: str, spec: WorkloadSpec, environment: str, image: str,
                       config_map_data: dict[str, str], extras: Optional[PodExtras] = None) -> dict[str, Any]:
    """The pod template, hardened; pure so it can be tested without the engine."""
    extras = extras or PodExtras()
    volumes: list[dict[str, Any]] = []
    if extras.data is not None:
        volumes.append({"name": DATA_VOLUME, "persistentVolumeClaim": {"claimName": extras.data.claim_name}})
    volumes.append({"name": "tmp", "emptyDir": {"sizeLimit": TMP_VOLUME_SIZE}})
    annotations = dict(extras.annotations)
    if spec.config_files is not None:
        volumes.append({"name": "config", "configMap": {"name": spec.config_files.config_map_name}})
        annotations[CONFIG_CHECKSUM_ANNOTATION] = content_checksum(config_map_data)
    volumes += secret_volumes(spec)

    pod_spec: dict[str, Any] = {
        **pod_spec_defaults(),
        "securityContext": pod_security_context(spec.identity),
        "terminationGracePeriodSeconds": spec.termination_grace_period_seconds,
        "containers": [build_app_container(name, spec, image, extras.data, extras.lifecycle)],
        "volumes": volumes,
    }
    if extras.init_containers:
        pod_spec["initContainers"] = list(extras.init_containers)
    pod_spec.update(extras.pod_spec)
    metadata: dict[str, Any] = {"labels": workload_labels(name, environment)}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return {"metadata": metadata, "spec": pod_spec}


def migration_labels(name: str, environment: str) -> dict[str, str]:
    """Labels of a migration pod: never the app's selector labels, so no Service sends it traffic."""
    return {
        "app.kubernetes.io/name": f"{name}-migrate",
        "app.kubernetes.io/component": "migration",
        "app.kubernetes.io/part-of": name,
        "app.kubernetes.io/managed-by": "pulumi",
        "platform/environment": environment,
    }


def build_migration_pod_template(name: str, spec: WorkloadSpec, environment: str, migration: MigrationSpec,
                                 image: str, config_map_data: dict[str, str]) -> dict[str, Any]:
    """The pod of a migration Job: the migration container alone, hardened like the app's pod."""
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": TMP_VOLUME_SIZE}}]
    metadata: dict[str, Any] = {"labels": migration_labels(name, environment)}
    if spec.config_files is not None:
        volumes.append({"name": "config", "configMap": {"name": spec.config_files.config_map_name}})
        metadata["annotations"] = {CONFIG_CHECKSUM_ANNOTATION: content_checksum(config_map_data)}
    volumes += secret_volumes(spec)
    return {
        "metadata": metadata,
        "spec": {
            **pod_spec_defaults(),
            "securityContext": pod_security_context(spec.identity),
            # A failed attempt is a failed pod, counted against backoffLimit, not an in-place restart.
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": spec.termination_grace_period_seconds,
            "containers": [build_migration_container(spec, migration, image, None)],
            "volumes": volumes,
        },
    }


def config_map_resource(component: pulumi.ComponentResource, name: str, spec: Any, environment: str,
                        config_map_data: dict[str, str]) -> Optional[k8s.core.v1.ConfigMap]:
    """The ConfigMap of the workload's config files, if it has any (shared by every kind)."""
    if spec.config_files is None:
        return None
    return k8s.core.v1.ConfigMap(
        f"{name}-config",
        metadata={
            "name": spec.config_files.config_map_name,
            "namespace": spec.namespace,
            "labels": workload_labels(name, environment),
        },
        data=config_map_data,
        opts=pulumi.ResourceOptions(parent=component, delete_before_replace=True),
    )

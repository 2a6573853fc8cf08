"""A Deployment for a service that must never run twice: one writer, one volume.

SQLite (the Sol case) corrupts or locks when two pods open the same file, and
a ReadWriteOnce volume cannot attach to two nodes. So replicas are fixed at 1,
the strategy is `Recreate` (old pod gone before the new one starts), names are
explicit and stable, and Pulumi replaces the object delete-first. None of this
is configurable: `replicas` and `strategy` exist in the config only to give a
clear error when someone tries to change them.

Deliberately left out: horizontal scaling, PodDisruptionBudgets (a PDB on one
replica blocks node drains) and sidecars.
"""
from __future__ import annotations

import hashlib
import json
import posixpath
from typing import Any, Literal, Optional, Union

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator, model_validator

from .config_model import ConfigModel
from .kubernetes_names import check_dns_label, check_dns_subdomain, check_env_name, check_secret_key
from .kubernetes_quantity import cpu_millicores, memory_bytes, parse_quantity
from .persistent_volume_claim import VolumeSpec
from .pod_hardening import (
    PodIdentity,
    container_security_context,
    pod_security_context,
    pod_spec_defaults,
)
from .secret_source import SecretSourceSpec

CONFIG_CHECKSUM_ANNOTATION = "checksum/config"
SECRET_MAPPING_CHECKSUM_ANNOTATION = "checksum/secret-mapping"
TMP_VOLUME_SIZE = "64Mi"


class ResourceAmounts(ConfigModel):
    cpu: Optional[str] = Field(None, description="CPU as a Kubernetes quantity, e.g. 100m.")
    memory: Optional[str] = Field(None, description="Memory as a Kubernetes quantity, e.g. 256Mi.")

    @field_validator("cpu", "memory", mode="before")
    @classmethod
    def _number_as_quantity(cls, value: Any) -> Any:
        # YAML reads `cpu: 2` as a number; Kubernetes accepts it as a quantity.
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("cpu", "memory")
    @classmethod
    def _quantity(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            parse_quantity(value)
        return value


class ResourceRequirements(ConfigModel):
    requests: ResourceAmounts = Field(description="cpu and memory requests. Required.")
    limits: ResourceAmounts = Field(description="memory limit (required); cpu limit optional. Required.")

    @model_validator(mode="after")
    def _complete(self) -> "ResourceRequirements":
        problems = []
        if self.requests.cpu is None:
            problems.append("requests.cpu is required (e.g. 100m)")
        if self.requests.memory is None:
            problems.append("requests.memory is required (e.g. 256Mi)")
        if self.limits.memory is None:
            problems.append("limits.memory is required (e.g. 512Mi)")
        if not problems and memory_bytes(self.limits.memory) < memory_bytes(self.requests.memory):
            problems.append(
                f"limits.memory {self.limits.memory!r} must be at least requests.memory {self.requests.memory!r}"
            )
        if not problems and self.limits.cpu is not None and cpu_millicores(self.limits.cpu) < cpu_millicores(self.requests.cpu):
            problems.append(f"limits.cpu {self.limits.cpu!r} must be at least requests.cpu {self.requests.cpu!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SecretKeyReference(ConfigModel):
    secret: str = Field(description="Name of the Secret, created by one of this service's secret sources.")
    key: str = Field(description="Key inside that Secret.")

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str) -> str:
        return check_dns_subdomain(value)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return check_secret_key(value)


class ConfigFileSpec(ConfigModel):
    source: str = Field(description="Path of the file in this repository, relative to the project root.")
    mount_path: str = Field(description="Absolute path of the file inside the container.")

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"{value!r} must be a path inside the repository, relative to the project root")
        return value

    @field_validator("mount_path")
    @classmethod
    def _mount_path(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/") or ".." in value.split("/"):
            raise ValueError(f"{value!r} must be an absolute file path (e.g. /etc/sol/sol.toml)")
        return value


class ConfigFilesSpec(ConfigModel):
    config_map_name: str = Field(description="metadata.name of the ConfigMap. Required.")
    files: dict[str, ConfigFileSpec] = Field(description="ConfigMap key -> file. Required, at least one.")

    @field_validator("config_map_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_dns_subdomain(value)

    @field_validator("files")
    @classmethod
    def _files(cls, value: dict[str, ConfigFileSpec]) -> dict[str, ConfigFileSpec]:
        if not value:
            raise ValueError("at least one file is required (or remove configFiles)")
        for key in value:
            check_secret_key(key)
        mount_paths = [spec.mount_path for spec in value.values()]
        duplicates = sorted({path for path in mount_paths if mount_paths.count(path) > 1})
        if duplicates:
            raise ValueError(f"mount paths {duplicates!r} are used twice; each file needs its own mountPath")
        return value


class HttpGetAction(ConfigModel):
    path: str = Field(description="HTTP path, e.g. /healthz.")
    port: Union[int, str] = Field(description="Container port number or name.")


class ProbeSpec(ConfigModel):
    """Exactly one of httpGet, tcpSocketPort, exec."""

    http_get: Optional[HttpGetAction] = None
    tcp_socket_port: Optional[Union[int, str]] = None
    exec: Optional[list[str]] = None
    initial_delay_seconds: int = Field(0, ge=0, description="Default: 0.")
    period_seconds: int = Field(10, ge=1, description="Default: 10.")
    timeout_seconds: int = Field(1, ge=1, description="Default: 1.")
    failure_threshold: int = Field(3, ge=1, description="Default: 3.")

    @model_validator(mode="after")
    def _one_handler(self) -> "ProbeSpec":
        handlers = [name for name, value in (("httpGet", self.http_get), ("tcpSocketPort", self.tcp_socket_port),
                                              ("exec", self.exec)) if value is not None]
        if len(handlers) != 1:
            raise ValueError(f"a probe needs exactly one of httpGet, tcpSocketPort, exec; got {handlers or 'none'}")
        return self


class ProbesSpec(ConfigModel):
    liveness: Optional[ProbeSpec] = Field(None, description="Default: none.")
    readiness: Optional[ProbeSpec] = Field(None, description="Default: none.")
    startup: Optional[ProbeSpec] = Field(None, description="Default: none.")


class ContainerPort(ConfigModel):
    name: str = Field(description="Port name, a DNS label of at most 15 characters, e.g. http.")
    container_port: int = Field(ge=1, le=65535, description="Port the container listens on.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        check_dns_label(value)
        if len(value) > 15:
            raise ValueError(f"{value!r} must be at most 15 characters (an IANA service name)")
        return value


class DataDirectoriesSpec(ConfigModel):
    """An init container that creates directories on the data volume before the service starts."""

    image: str = Field(description="Name of the release.images entry whose image has `mkdir` (e.g. busybox). Required.")
    paths: list[str] = Field(description="Directories relative to the data mount, e.g. matrix-state. Required.")

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one path is required (or remove dataDirectories)")
        for path in value:
            if path.startswith("/") or ".." in path.split("/") or not path.strip("/"):
                raise ValueError(f"{path!r} must be a directory relative to the data mount (e.g. matrix-state)")
        return value


class ServiceSpec(ConfigModel):
    """A single-writer service: one pod, its data on a claim, its secrets from one or more sources."""

    namespace: str = Field(description="Namespace, declared under `namespaces`. Required.")
    replicas: Literal[1] = Field(1, description="Always 1: a single writer. Present only to reject other values.")
    strategy: Literal["Recreate"] = Field("Recreate", description="Always Recreate. Present only to reject other values.")
    identity: PodIdentity = Field(default_factory=PodIdentity, description="uid/gid. Default: 65532/65532.")
    command: Optional[list[str]] = Field(None, description="Container command. Default: the image's entrypoint.")
    args: Optional[list[str]] = Field(None, description="Container args. Default: the image's.")
    resources: ResourceRequirements = Field(description="Requests and limits. Required.")
    env: dict[str, str] = Field(default_factory=dict, description="Fixed env vars. Default: none.")
    secret_env: dict[str, SecretKeyReference] = Field(
        default_factory=dict, description="Env var -> Secret key. Default: none."
    )
    env_from_secrets: list[str] = Field(
        default_factory=list, description="Secrets whose every declared key becomes an env var. Default: none."
    )
    secrets: dict[str, SecretSourceSpec] = Field(
        default_factory=dict, description="Secret name -> where it is synced from. Default: none."
    )
    config_files: Optional[ConfigFilesSpec] = Field(None, description="Files mounted read-only. Default: none.")
    data: VolumeSpec = Field(description="The data volume. Required.")
    data_directories: Optional[DataDirectoriesSpec] = Field(
        None, description="Init container creating directories on the volume. Default: none."
    )
    ports: list[ContainerPort] = Field(default_factory=list, description="Container ports. Default: none.")
    probes: ProbesSpec = Field(default_factory=ProbesSpec, description="Default: no probes.")
    termination_grace_period_seconds: int = Field(
        30, ge=0, description="Seconds between SIGTERM and SIGKILL; SQLite needs time to checkpoint. Default: 30."
    )
    allow_writable_root_filesystem: bool = Field(
        False, description="Opt-out of readOnlyRootFilesystem. Refused in prod. Default: false."
    )

    @field_validator("replicas", mode="before")
    @classmethod
    def _replicas(cls, value: Any) -> Any:
        if value != 1:
            raise ValueError(
                f"{value!r} is not allowed: a single-writer deployment runs exactly 1 replica "
                "(its data is on a ReadWriteOnce volume); remove the key"
            )
        return value

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy(cls, value: Any) -> Any:
        if value != "Recreate":
            raise ValueError(
                f"{value!r} is not allowed: a single writer must stop before its replacement starts, "
                "so the strategy is always Recreate; remove the key"
            )
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return check_dns_label(value)

    @field_validator("env", "secret_env")
    @classmethod
    def _env_names(cls, value: dict) -> dict:
        for name in value:
            check_env_name(name)
        return value

    @model_validator(mode="after")
    def _env_defined_once(self) -> "ServiceSpec":
        both = sorted(set(self.env) & set(self.secret_env))
        if both:
            raise ValueError(f"env vars {both!r} are set in both env and secretEnv; keep one")
        return self


def selector_labels(service_name: str) -> dict[str, str]:
    """The labels that select this service's pod; Services derive their selector from here."""
    return {"app.kubernetes.io/name": service_name}


def workload_labels(service_name: str, environment: str) -> dict[str, str]:
    return {
        **selector_labels(service_name),
        "app.kubernetes.io/managed-by": "pulumi",
        "platform/environment": environment,
    }


def content_checksum(data: Any) -> str:
    """sha256 of canonical JSON: the same content always gives the same annotation."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def build_config_map_data(spec: ServiceSpec, file_contents: dict[str, str]) -> dict[str, str]:
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


def build_pod_template(
    name: str,
    spec: ServiceSpec,
    environment: str,
    image: str,
    config_map_data: dict[str, str],
    init_image: Optional[str] = None,
    extra_annotations: Optional[dict[str, str]] = None,
) -> dict[str, Any]:
    """The pod template of the Deployment, hardened; pure so it can be tested without the engine."""
    security = container_security_context(spec.identity, spec.allow_writable_root_filesystem)
    data_volume = "data"
    volume_mounts: list[dict[str, Any]] = [
        {"name": data_volume, "mountPath": spec.data.mount_path},
        # readOnlyRootFilesystem: programs still need a scratch /tmp.
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": data_volume, "persistentVolumeClaim": {"claimName": spec.data.claim_name}},
        {"name": "tmp", "emptyDir": {"sizeLimit": TMP_VOLUME_SIZE}},
    ]
    annotations = dict(extra_annotations or {})
    if spec.config_files is not None:
        volumes.append({"name": "config", "configMap": {"name": spec.config_files.config_map_name}})
        for key, file in sorted(spec.config_files.files.items()):
            # subPath mounts never see ConfigMap updates, hence the checksum below.
            volume_mounts.append({"name": "config", "mountPath": file.mount_path, "subPath": key, "readOnly": True})
        annotations[CONFIG_CHECKSUM_ANNOTATION] = content_checksum(config_map_data)

    env: list[dict[str, Any]] = [{"name": key, "value": value} for key, value in sorted(spec.env.items())]
    env += [
        {"name": var, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key, "optional": False}}}
        for var, ref in sorted(spec.secret_env.items())
    ]
    resources: dict[str, Any] = {
        "requests": {"cpu": spec.resources.requests.cpu, "memory": spec.resources.requests.memory},
        "limits": {"memory": spec.resources.limits.memory},
    }
    if spec.resources.limits.cpu is not None:
        resources["limits"]["cpu"] = spec.resources.limits.cpu

    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "securityContext": security,
        "resources": resources,
        "volumeMounts": volume_mounts,
    }
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    if env:
        container["env"] = env
    if spec.env_from_secrets:
        container["envFrom"] = [{"secretRef": {"name": secret, "optional": False}} for secret in spec.env_from_secrets]
    if spec.ports:
        container["ports"] = [{"name": port.name, "containerPort": port.container_port, "protocol": "TCP"}
                              for port in spec.ports]
    for kind in ("liveness", "readiness", "startup"):
        probe = getattr(spec.probes, kind)
        if probe is not None:
            container[f"{kind}Probe"] = _probe(probe)

    pod_spec: dict[str, Any] = {
        **pod_spec_defaults(),
        "securityContext": pod_security_context(spec.identity),
        "terminationGracePeriodSeconds": spec.termination_grace_period_seconds,
        "containers": [container],
        "volumes": volumes,
    }
    if spec.data_directories is not None:
        if init_image is None:
            raise ValueError(f"service {name!r}: dataDirectories needs its image")
        directories = [posixpath.join(spec.data.mount_path, path.strip("/")) for path in spec.data_directories.paths]
        pod_spec["initContainers"] = [{
            "name": "create-data-directories",
            "image": init_image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["mkdir", "-p", *directories],
            # Same user as the service, so what it creates is the service's;
            # fsGroup already made the volume writable by that group.
            "securityContext": container_security_context(spec.identity),
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
            "volumeMounts": [{"name": data_volume, "mountPath": spec.data.mount_path}],
        }]
    metadata: dict[str, Any] = {"labels": workload_labels(name, environment)}
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return {"metadata": metadata, "spec": pod_spec}


def build_deployment_manifest(name: str, spec: ServiceSpec, environment: str, pod_template: dict[str, Any],
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

    def __init__(
        self,
        name: str,
        spec: ServiceSpec,
        environment: str,
        image: str,
        file_contents: dict[str, str],
        init_image: Optional[str] = None,
        extra_annotations: Optional[dict[str, str]] = None,
        deployment_annotations: Optional[dict[str, str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ):
        super().__init__("platform:kubernetes:SingleWriterDeployment", name, None, opts)
        config_map_data = build_config_map_data(spec, file_contents)
        depends_on: list[pulumi.Resource] = []
        if spec.config_files is not None:
            self.config_map = k8s.core.v1.ConfigMap(
                f"{name}-config",
                metadata={
                    "name": spec.config_files.config_map_name,
                    "namespace": spec.namespace,
                    "labels": workload_labels(name, environment),
                },
                data=config_map_data,
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
            depends_on.append(self.config_map)
        pod_template = build_pod_template(
            name, spec, environment, image, config_map_data, init_image, extra_annotations
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

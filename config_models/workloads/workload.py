"""What every workload kind shares: its config models, its labels, and the facts the cross-resource checks read.

A workload is one entry of `services.<name>` in the stack config. Its `kind`
(`singleWriter`, `replicated`, `cronJob`; see `kinds.py`) picks the
model and the component. Every kind inherits `WorkloadSpec` below, so the pod
hardening, secret wiring, config files, probes and image rules are written
once, and every kind answers the same questions for the checks that span the
stack (`stack_checks/`): which release images it runs, what its pods request
at the autoscaler floor and during a rollout, which claims it mounts, which
ports it serves for routes. A check asks those questions and never looks at
the kind, so a new kind needs no edit to any check.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional, Union

from pydantic import Field, field_validator, model_validator

from config_models.api_server_name_limits import DerivedName, port_name_problem
from config_models.backup import BackupSpec
from config_models.base import ConfigModel
from config_models.kubernetes_names import check_dns_label, check_dns_subdomain, check_env_name, check_secret_key
from config_models.kubernetes_quantity import cpu_millicores, memory_bytes, parse_quantity
from config_models.network import EgressRuleSpec, TalksToSpec
from config_models.secret_source import SecretSourceSpec
from config_models.smoke_check import SmokeCheckSpec
from config_models.volume import VolumeSpec
from config_models.workloads.pod_identity import PodIdentity


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
    in_service: bool = Field(True, description="Carried by the workload's Service (routable, reachable by "
                                               "talksTo). false for a health or metrics listener only the kubelet "
                                               "calls. Default: true.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = port_name_problem(value)
        if problem is not None:
            raise ValueError(f"{value!r} {problem}; e.g. http, mesh, health")
        return value


class SecretFilesSpec(ConfigModel):
    """Every key of one of the workload's Secrets, as read-only files in a directory."""

    secret: str = Field(description="Name of the Secret, created by one of this workload's secret sources. Required.")
    mount_path: str = Field(description="Absolute directory, e.g. /etc/forgejo/secrets; each key is a file. Required.")

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str) -> str:
        return check_dns_subdomain(value)

    @field_validator("mount_path")
    @classmethod
    def _mount_path(cls, value: str) -> str:
        if not value.startswith("/") or ".." in value.split("/") or value.rstrip("/") == "":
            raise ValueError(f"{value!r} must be an absolute directory (e.g. /etc/forgejo/secrets)")
        return value.rstrip("/")


class MigrationSpec(ConfigModel):
    """A step that migrates the workload's data once per release, before the new version serves.

    It runs the release's image (or another release component's) with the
    workload's env, secrets and config files, plus `env` here. How it is kept
    apart from the old version depends on the kind: a single writer runs it
    as an init container of its new pod (Recreate has stopped the old one); a
    replicated workload runs it as a Job keyed to the image digest, which the
    Deployment waits for.
    """

    command: list[str] = Field(description="Command of the migration container, e.g. [./memql, migrate]. Required.")
    args: Optional[list[str]] = Field(None, description="Its args. Default: none.")
    image: Optional[str] = Field(
        None, description="release.images entry to run. Default: the workload's own image (the schema it expects).")
    env: dict[str, str] = Field(default_factory=dict, description="Env vars added to (or overriding) the "
                                                                  "workload's for this step. Default: none.")
    backoff_limit: int = Field(2, ge=0, le=10, description="Retries of a failed replicated-workload migration Job "
                                                           "before the rollout stops. Default: 2.")
    active_deadline_seconds: int = Field(
        600, ge=30, description="A migration running longer fails, and the rollout stops. Default: 600.")

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("[] must name the program that migrates (e.g. [./memql, migrate])")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            check_env_name(name)
        return value


class WorkloadSpec(ConfigModel):
    """What every kind has: a namespace, one hardened container, its env, secrets and config files."""

    namespace: str = Field(description="Namespace, declared under `namespaces`. Required.")
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
    secret_files: list[SecretFilesSpec] = Field(
        default_factory=list, description="Secrets mounted as read-only files, for apps that read secrets from "
                                          "files (Forgejo's *_URI = file:...). Default: none.")
    talks_to: list["TalksToSpec"] = Field(
        default_factory=list, description="Services this workload calls; derives the egress allow here and the "
                                          "ingress allow there. Default: none.")
    egress: list["EgressRuleSpec"] = Field(
        default_factory=list, description="Named destinations outside the cluster (CIDRs and ports). Default: none "
                                          "(DNS only).")
    termination_grace_period_seconds: int = Field(
        30, ge=0, description="Seconds between SIGTERM and SIGKILL. Default: 30."
    )
    allow_writable_root_filesystem: bool = Field(
        False, description="Opt-out of readOnlyRootFilesystem. Refused in prod. Default: false."
    )
    smoke_checks: list[SmokeCheckSpec] = Field(
        default_factory=list, description="Checks `stackctl verify` runs after a rollout, each a command or an "
                                          "in-cluster Job; all must pass before prod takes the image. Default: none.")

    @field_validator("smoke_checks")
    @classmethod
    def _smoke_check_names(cls, value: list[SmokeCheckSpec]) -> list[SmokeCheckSpec]:
        names = [check.name for check in value]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"smoke check names {repeated!r} are used twice; each names one record line")
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
    def _env_defined_once(self) -> "WorkloadSpec":
        both = sorted(set(self.env) & set(self.secret_env))
        if both:
            raise ValueError(f"env vars {both!r} are set in both env and secretEnv; keep one")
        return self

    # The facts every cross-resource check reads. Kinds extend them; checks
    # never branch on the kind.

    def release_components(self, name: str) -> dict[str, str]:
        """release.images entry -> the key path that makes this workload use it."""
        return {name: f"services.{name}"}

    def release_migration(self) -> Optional[MigrationSpec]:
        """The step that migrates data before a new release serves, if the workload has one."""
        return None

    def container_requests(self) -> tuple[Fraction, Fraction]:
        return cpu_millicores(self.resources.requests.cpu), memory_bytes(self.resources.requests.memory)

    def pod_requests(self) -> tuple[Fraction, Fraction]:
        """(CPU millicores, memory bytes) the scheduler reserves for one pod: the larger of the app
        container and any init container, which run one after the other."""
        return self.container_requests()

    def pods_at_floor(self) -> int:
        """Pods running when the autoscaler sits at its floor (an HPA at its minimum)."""
        raise NotImplementedError

    def rollout_surge_pods(self) -> int:
        """Extra pods while a release rolls out (surge pods, migration Jobs)."""
        raise NotImplementedError

    def claims(self) -> list[VolumeSpec]:
        """PersistentVolumeClaims this workload creates and mounts."""
        return []

    def backup(self) -> Optional[BackupSpec]:
        """Its continuous Litestream backup (`data.backup`), if it has one."""
        return None

    def routable_ports(self) -> list[str]:
        """Names of the ports a route may send traffic to."""
        return []

    def declared_port_names(self) -> list[str]:
        """Names of every port the container declares (Service or not)."""
        return []

    def probe_port_references(self, name: str) -> list[tuple[str, Union[int, str]]]:
        """(key path, port) of every port a probe names; a named one must be declared."""
        return []

    def claim_keys(self, name: str) -> list[tuple[str, VolumeSpec]]:
        """(key path, claim) of every claim this workload writes; a claim has one writer in the stack."""
        return [(f"services.{name}.data.claimName", volume) for volume in self.claims()]

    def restart_targets(self, name: str) -> list[str]:
        """Deployments to roll when a synced Secret changes; a run-to-completion kind reads it anew each run."""
        return []

    def derived_names(self, name: str) -> list[DerivedName]:
        """Names the program builds from the service name, each with the API server's rule for it
        (`config_models/api_server_name_limits.py`); a kind that names more objects adds its own."""
        key = f"services.{name}"
        names = [DerivedName(key, name, "the pod label app.kubernetes.io/name", name, "labelValue")]
        if self.routable_ports():
            names.append(DerivedName(key, name, "the Service name", name, "serviceName"))
        if self.release_migration() is not None:
            names.append(DerivedName(key, name, "the migration pods' label app.kubernetes.io/name (a NetworkPolicy "
                                               "selector value)", f"{name}-migrate", "labelValue"))
        return names

    def kind_problems(self, name: str, environment: str) -> list[str]:
        """Rules of the kind that depend on the environment (errors)."""
        return []

    def kind_warnings(self, name: str, environment: str) -> list[str]:
        return []


class ServingWorkloadSpec(WorkloadSpec):
    """A workload that runs until stopped and may serve traffic: ports and probes."""

    ports: list[ContainerPort] = Field(default_factory=list, description="Container ports. Default: none.")
    probes: ProbesSpec = Field(default_factory=ProbesSpec, description="Default: no probes.")

    @field_validator("ports")
    @classmethod
    def _ports_unique(cls, value: list[ContainerPort]) -> list[ContainerPort]:
        # The API server refuses a second container port or Service port of one name, and a Service
        # port number used twice (pkg/apis/core/validation: validateContainerPorts, ValidateService).
        for what, keys in (("name", [port.name for port in value]),
                           ("containerPort", [port.container_port for port in value])):
            duplicates = sorted({key for key in keys if keys.count(key) > 1}, key=str)
            if duplicates:
                raise ValueError(f"{what} {duplicates[0]!r} is used by two ports; each port needs its own "
                                 f"{what} (the API server refuses the Deployment and the Service)")
        return value

    def routable_ports(self) -> list[str]:
        return [port.name for port in self.ports if port.in_service]

    def declared_port_names(self) -> list[str]:
        return [port.name for port in self.ports]

    def probe_port_references(self, name: str) -> list[tuple[str, Union[int, str]]]:
        references: list[tuple[str, Union[int, str]]] = []
        for kind in ("startup", "readiness", "liveness"):
            probe = getattr(self.probes, kind)
            if probe is None:
                continue
            if probe.http_get is not None:
                references.append((f"services.{name}.probes.{kind}.httpGet.port", probe.http_get.port))
            elif probe.tcp_socket_port is not None:
                references.append((f"services.{name}.probes.{kind}.tcpSocketPort", probe.tcp_socket_port))
        return references

    def restart_targets(self, name: str) -> list[str]:
        return [name]


def migration_components(name: str, migration: Optional[MigrationSpec]) -> dict[str, str]:
    if migration is None or migration.image is None:
        return {}
    return {migration.image: f"services.{name}.migration.image"}


def selector_labels(service_name: str) -> dict[str, str]:
    """The labels that select this workload's pods; Services and budgets derive their selector from here."""
    return {"app.kubernetes.io/name": service_name}


def workload_labels(service_name: str, environment: str) -> dict[str, str]:
    return {
        **selector_labels(service_name),
        "app.kubernetes.io/managed-by": "pulumi",
        "platform/environment": environment,
    }


WorkloadSpec.model_rebuild()


ServingWorkloadSpec.model_rebuild()

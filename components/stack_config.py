"""The whole stack config: parsed, cross-checked and loaded before any resource exists.

`Pulumi.<stack>.yaml` holds one key per top-level field of `StackConfig`, each
prefixed with the project name (`platform:services`). Loading goes in three
steps, all before the first resource is registered: shape (pydantic), the
rules that span several keys (namespaces declared, release coherence, secret
key coverage, prod strictness), and reading the config files the services
mount. Any problem raises `ConfigError` listing all of them.

Environment strictness follows the control-plane runbook seed: what dev and
staging may leave out, prod must have (a registry allowlist, no hardening
opt-outs, TLS on every route, a node-pool floor of at least 2).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import Field, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .azure_environment import AzureSpec
from .config_model import ConfigError, ConfigModel, validate_config
from .kubernetes_names import check_dns_label
from .namespace import NamespaceSpec
from .node_pool_headroom import headroom_problem
from .release import ReleaseSpec, check_release_coherence
from .release_ledger import provenance_problems, read_ledger
from .routing import RoutingSpec, check_routing
from .secret_key_coverage import check_secret_key_coverage
from .single_writer_deployment import ServiceSpec
from .vault_workload_access import VaultServerSpec, check_vault_paths_owned

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
    services: dict[str, ServiceSpec] = Field(description="Single-writer services. Required.")
    vault: Optional[VaultServerSpec] = Field(None, description="OpenBao/Vault server. Required if a service uses vault.")
    azure: Optional[AzureSpec] = Field(None, description="Azure identifiers. Required if a service uses azureKeyVault.")
    routing: Optional[RoutingSpec] = Field(None, description="Ingress routes to services. Default: none.")

    @field_validator("namespaces", "services")
    @classmethod
    def _names(cls, value: dict) -> dict:
        for name in value:
            check_dns_label(name)
        return value


def release_components_in_use(config: StackConfig) -> dict[str, str]:
    """Component name -> the key path that makes it deployed."""
    used: dict[str, str] = {}
    for name, service in config.services.items():
        used.setdefault(name, f"services.{name}")
        if service.data_directories is not None:
            used.setdefault(service.data_directories.image, f"services.{name}.dataDirectories.image")
    return used


def cluster_is_managed(config: StackConfig) -> bool:
    return bool(config.azure and config.azure.cluster and config.azure.cluster.managed)


# Prod's autoscaler floor: one node may drain or fail while the other serves.
PROD_MIN_NODE_FLOOR = 2
NODE_POOL_KEY = "azure.cluster.nodePool"


def _headroom(config: StackConfig) -> str | None:
    if config.azure is None or config.azure.cluster is None:
        return None
    pool = config.azure.cluster.node_pool
    return headroom_problem(config.services, pool.vm_size, pool.min_count, NODE_POOL_KEY)


def stack_warnings(config: StackConfig) -> list[str]:
    """Problems that stop prod but only warn elsewhere, and gate overrides (shown by render and by the engine)."""
    problem = _headroom(config)
    warnings = [problem] if problem is not None and config.environment != "prod" else []
    for component, override in sorted(config.release.promotion_gate.overrides.items()):
        entry = config.release.images.get(component)
        if entry is None or entry.image != override.image:
            warnings.append(f"release.promotionGate.overrides.{component}: admits {override.image!r}, which "
                            "release.images does not pin (remove the override)")
        else:
            warnings.append(f"release.promotionGate.overrides.{component}: the provenance gate is overridden for "
                            f"{override.image!r}; reason: {override.reason}")
    return warnings


def check_stack_rules(config: StackConfig) -> list[str]:
    """Rules that span several keys; each problem names its key path."""
    problems: list[str] = []
    for name, service in sorted(config.services.items()):
        if service.namespace not in config.namespaces:
            problems.append(
                f"services.{name}.namespace: {service.namespace!r} is not declared under namespaces "
                f"(declared: {sorted(config.namespaces)})"
            )
        problems += check_secret_key_coverage(name, service)
        if config.environment == "prod" and service.allow_writable_root_filesystem:
            problems.append(
                f"services.{name}.allowWritableRootFilesystem: true is not allowed in prod "
                "(mount an emptyDir for the paths the service writes instead)"
            )
    problems += check_release_coherence(config.release, release_components_in_use(config))
    if config.environment == "prod" and config.release.promotion_gate.ledger is None:
        problems.append("release.promotionGate.ledger: required in prod (prod may only run images staging ran; "
                        "point it at releases/staging-verified.yaml)")
    if config.environment == "prod" and not config.release.registry_allowlist:
        problems.append("release.registryAllowlist: required in prod (list the registries prod may pull from)")
    secret_targets: dict[tuple[str, str], str] = {}
    for name, service in sorted(config.services.items()):
        for secret, source in sorted(service.secrets.items()):
            target = (service.namespace, secret)
            if target in secret_targets:
                problems.append(
                    f"services.{name}.secrets.{secret}: Secret {secret!r} in namespace {service.namespace!r} is "
                    f"already created by {secret_targets[target]} (one source per Secret)"
                )
            secret_targets[target] = f"services.{name}.secrets.{secret}"
            if source.vault is not None and config.vault is None:
                problems.append(
                    f"services.{name}.secrets.{secret}.vault: the stack has no `vault` server config "
                    "(add platform:vault with its address)"
                )
            key_vault = source.azure_key_vault
            if key_vault is not None and key_vault.cluster_secret_store is None:
                if config.azure is None or config.azure.key_vault is None:
                    problems.append(
                        f"services.{name}.secrets.{secret}.azureKeyVault: the stack has no `azure.keyVault` "
                        "(reference the vault by id, or create it)"
                    )
                elif config.azure.oidc_issuer_url is None and not cluster_is_managed(config):
                    problems.append(
                        "azure.oidcIssuerUrl: required for Workload Identity when the program does not manage "
                        "the AKS cluster (az aks show --query oidcIssuerProfile.issuerUrl)"
                    )
    if config.routing is not None:
        problems += check_routing(config.routing, config.services, config.environment)
    if config.azure is not None and config.azure.cluster is not None:
        pool = config.azure.cluster.node_pool
        if config.environment == "prod" and pool.min_count < PROD_MIN_NODE_FLOOR:
            problems.append(f"{NODE_POOL_KEY}.minCount: {pool.min_count} is below prod's floor of "
                            f"{PROD_MIN_NODE_FLOOR} (one node must be able to drain while another serves)")
        headroom = _headroom(config)
        if headroom is not None and config.environment == "prod":
            problems.append(headroom)
    if config.environment == "prod" and config.vault is not None and config.vault.skip_tls_verify:
        problems.append("vault.skipTlsVerify: true is not allowed in prod (give VSO the server's CA instead)")
    problems += check_vault_paths_owned(config.services)
    return problems


def read_config_files(config: StackConfig, root: Path) -> dict[str, str]:
    contents: dict[str, str] = {}
    problems = []
    for name, service in sorted(config.services.items()):
        if service.config_files is None:
            continue
        for key, file in sorted(service.config_files.files.items()):
            path = root / file.source
            try:
                contents[file.source] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                problems.append(
                    f"services.{name}.configFiles.files.{key}.source: {file.source!r} cannot be read "
                    f"({error.__class__.__name__}: {getattr(error, 'strerror', None) or error}); "
                    "the path is relative to the project root"
                )
    if problems:
        raise ConfigError(problems)
    return contents


def parse_stack_config(values: dict[str, Any], root: Path) -> tuple[StackConfig, dict[str, str]]:
    """Validate top-level values (project prefix removed); return the config and the files it mounts."""
    config = validate_config(StackConfig, values)
    problems = check_stack_rules(config)
    if problems:
        raise ConfigError(problems)
    check_provenance(config, root)
    return config, read_config_files(config, root)


def check_provenance(config: StackConfig, root: Path) -> None:
    """The provenance gate: every image must be in the release ledger (or overridden). Raises ConfigError.

    A config-time check, so it runs identically offline and under the engine,
    before any resource is registered.
    """
    gate = config.release.promotion_gate
    if gate.ledger is None:
        return
    ledger = read_ledger(root / gate.ledger)
    images = {component: entry.image for component, entry in config.release.images.items()}
    problems = provenance_problems(images, ledger, gate.retained_releases, gate.overrides, gate.ledger)
    if problems:
        raise ConfigError(["provenance gate: " + problem for problem in problems])


def read_stack_file(path: Path) -> dict[str, Any]:
    """Top-level values of a `Pulumi.<stack>.yaml`, project prefix removed."""
    yaml = YAML(typ="safe", pure=True)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError([f"{path}: cannot be read ({error.strerror})"]) from None
    except UnicodeDecodeError as error:
        raise ConfigError([f"{path}: is not UTF-8 text (byte {error.start}); a stack file is YAML text"]) from None
    except YAMLError as error:
        # ruamel refuses duplicate keys, which a plain YAML loader would
        # silently resolve to the last value.
        raise ConfigError([f"{path}: is not valid YAML: {error}".replace("\n", " ")]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise ConfigError([f"{path}: must be a mapping with a `config:` mapping (a Pulumi stack file)"])
    values: dict[str, Any] = {}
    problems = []
    for key, value in document["config"].items():
        namespace, _, name = str(key).partition(":")
        if namespace in PROVIDER_CONFIG_NAMESPACES:
            continue
        if namespace != PROJECT_NAME or not name:
            problems.append(
                f"{key}: unknown config key (project keys are written `{PROJECT_NAME}:<key>`; "
                f"provider keys use {', '.join(PROVIDER_CONFIG_NAMESPACES)})"
            )
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            problems.append(f"{key}: secret values are not read from project config (put secrets in OpenBao or Key Vault)")
            continue
        values[name] = value
    if problems:
        raise ConfigError(problems)
    return values


def values_from_pulumi_config() -> dict[str, Any]:
    """Top-level values as the engine passes them (under `pulumi preview` / `up`).

    Pulumi.yaml declares every key; optional object keys default to `{}`
    there (a declared key without a default is required by the engine), and
    `{}` for an optional section means "not configured".
    """
    import pulumi

    project_config = pulumi.Config(PROJECT_NAME)
    values: dict[str, Any] = {}
    for name, field in StackConfig.model_fields.items():
        key = field.alias or name
        if field.annotation is str or str(field.annotation).startswith("typing.Literal"):
            value = project_config.get(key)
        else:
            value = project_config.get_object(key)
        if value is None or (value == {} and field.default is None):
            continue
        values[key] = value
    return values


def load_stack(root: Path, stack: str, config_file: Optional[Path] = None) -> tuple[StackConfig, dict[str, str]]:
    path = config_file if config_file is not None else root / f"Pulumi.{stack}.yaml"
    return parse_stack_config(read_stack_file(path), root)

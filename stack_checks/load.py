"""The whole stack config: parsed, cross-checked and loaded before any resource exists.

`Pulumi.<stack>.yaml` holds one key per top-level field of `StackConfig`, each
prefixed with the project name (`platform:services`). Loading goes in three
steps, all before the first resource is registered: shape (pydantic), the
rules that span several keys (`stack_rules.py`: namespaces declared, release
coherence, secret key coverage, prod strictness), and reading the config files the services
mount. Any problem raises `ConfigError` listing all of them.

Environment strictness follows the control-plane runbook seed: what dev and
staging may leave out, prod must have (a registry allowlist, no hardening
opt-outs, TLS on every route, a node-pool floor of at least 2).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from config_models.base import ConfigError, validate_config
from config_models.release_ledger import read_ledger
from config_models.stack import PROJECT_NAME, PROVIDER_CONFIG_NAMESPACES, StackConfig
from config_models.yaml_errors import describe_yaml_error
from stack_checks.release_provenance import provenance_problems
from stack_checks.route_references import reference_problems, route_addresses, substitute
from stack_checks.stack_rules import check_stack_rules
from stack_checks.vault import check_ca_certificate


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
    if config.vault is not None and config.vault.ca_cert_file is not None:
        source = config.vault.ca_cert_file
        try:
            contents[source] = (root / source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"vault.caCertFile: {source!r} cannot be read ({error.__class__.__name__}: "
                            f"{getattr(error, 'strerror', None) or error}); the path is relative to the project root")
        else:
            problems += check_ca_certificate(contents[source], "vault.caCertFile")
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
    return resolve_route_references(config, read_config_files(config, root))


def resolve_route_references(config: StackConfig, file_contents: dict[str, str]) -> tuple[StackConfig, dict[str, str]]:
    """Replace `${route.<name>.<field>}` in env values and config files (`route_references.py`).

    Env references were checked with the other rules; file references are
    checked here, where the files have been read. Raises ConfigError.
    """
    addresses = route_addresses(config.routing)
    problems = []
    for name, service in sorted(config.services.items()):
        if service.config_files is None:
            continue
        for key, file in sorted(service.config_files.files.items()):
            problems += reference_problems(file_contents[file.source],
                                           f"services.{name}.configFiles.files.{key} ({file.source})", addresses)
    if problems:
        raise ConfigError(problems)
    services = {}
    for name, service in config.services.items():
        update: dict[str, Any] = {"env": {var: substitute(value, addresses) for var, value in service.env.items()}}
        migration = service.release_migration()
        if migration is not None:
            update["migration"] = migration.model_copy(update={
                "env": {var: substitute(value, addresses) for var, value in migration.env.items()}})
        services[name] = service.model_copy(update=update)
    resolved = config.model_copy(update={"services": services})
    return resolved, {source: substitute(text, addresses) for source, text in file_contents.items()}


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
        raise ConfigError([f"{path}: {describe_yaml_error(error)}"]) from None
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


def stack_names(root: Path) -> list[str]:
    """The stacks of the project at `root`: the `<stack>` of every `Pulumi.<stack>.yaml` there."""
    try:
        return sorted(path.name[len("Pulumi."):-len(".yaml")] for path in root.glob("Pulumi.*.yaml"))
    except OSError:
        return []


def load_stack(root: Path, stack: str, config_file: Optional[Path] = None) -> tuple[StackConfig, dict[str, str]]:
    path = config_file if config_file is not None else root / f"Pulumi.{stack}.yaml"
    return parse_stack_config(read_stack_file(path), root)

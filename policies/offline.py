"""Running the pack's policies without a Pulumi engine, on the same objects the engine would see.

`evaluate()` calls the very policy objects of `registry.POLICIES` (no rule is
re-implemented here) with real `pulumi_policy` argument objects, props wrapped
in the SDK's own `unknown_checking_proxy`, and it reproduces what the engine's
analyzer does around them:

* config: schema defaults, then `all`, then each policy's entry, exactly as the
  CLI reconciles `--policy-pack-config` (shallow: a key given replaces the
  default whole), validated against each policy's schema;
* `disabled` policies are skipped, `remediate` is reported as mandatory;
* an `UnknownValueError` escaping a policy becomes the engine's advisory
  "can't run policy ... during preview" diagnostic; `not_applicable()` reports nothing.

The input is `Resource`: type token, name, URN, camelCase props as sent to the
engine, and the resource options a policy can read. `load_manifests()` turns
plain Kubernetes YAML into such resources (`kubernetes:<group>/<version>:<Kind>`,
core group `core`), and reads the `type/name/inputs/options` summaries that
`stackctl render` writes for Azure and Vault resources. Tests use `check_resource()`/`check_stack()` to run one
policy on one input. Deliberately left out: remediations (the pack has none)
and providers (no rule reads them).
"""
from __future__ import annotations

import asyncio
import copy
import functools
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

PACK_NAME = "platform"
PROJECT = "platform"
LEVELS = {level.value: level for level in EnforcementLevel}


@dataclass(frozen=True)
class ResourceOptions:
    """The options of a registered resource that matter to policies."""

    protect: bool = False
    retain_on_delete: bool = False  # not passed to policies by the engine; kept for callers' tables
    delete_before_replace: Optional[bool] = None
    parent: Optional[str] = None


@dataclass(frozen=True)
class Resource:
    """A resource as the engine hands it to a policy pack."""

    resource_type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    opts: ResourceOptions = field(default_factory=ResourceOptions)

    def with_urn(self, stack: str) -> "Resource":
        if self.urn:
            return self
        urn = f"urn:pulumi:{stack}::{PROJECT}::{self.resource_type}::{self.name}"
        return Resource(self.resource_type, self.name, self.props, urn, self.opts)


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str  # the resource's name, or "" for the stack as a whole
    message: str
    level: str  # "mandatory" or "advisory"
    # Which resource, when a name is not enough (two kinds may share one); locations in reports are keyed by it.
    urn: str = field(default="", compare=False)

    @property
    def mandatory(self) -> bool:
        return self.level == EnforcementLevel.MANDATORY.value


@dataclass(frozen=True)
class PolicySettings:
    level: EnforcementLevel
    config: dict[str, Any]


def pack_policies() -> list[Policy]:
    from .registry import POLICIES  # late: the registry imports every policy module
    return list(POLICIES)


def reconcile_config(policies: Sequence[Policy], config: Optional[Mapping[str, Any]] = None,
                     default_level: EnforcementLevel = EnforcementLevel.ADVISORY) -> dict[str, PolicySettings]:
    """Each policy's enforcement level and properties, as the engine computes them from a config file."""
    config = dict(config or {})
    names = {policy.name for policy in policies}
    strange = sorted(set(config) - names - {"all"})
    if strange:
        raise ValueError(f"policy config names policies {strange} that the pack does not have "
                         f"(known: {sorted(names)})")
    result: dict[str, PolicySettings] = {}
    for policy in policies:
        properties = {
            name: schema["default"]
            for name, schema in (policy.config_schema.properties if policy.config_schema else {}).items()
            if "default" in schema
        }
        result[policy.name] = PolicySettings(policy.enforcement_level or default_level, properties)
    all_level = _level_of(config.get("all"), "all")
    if all_level is not None:
        result = {name: PolicySettings(all_level, value.config) for name, value in result.items()}
    for name, given in config.items():
        if name == "all":
            continue
        level = _level_of(given, name) or result[name].level
        properties = dict(result[name].config)
        if isinstance(given, Mapping):
            properties.update({key: value for key, value in given.items() if key != "enforcementLevel"})
        result[name] = PolicySettings(level, properties)
    _validate_config(policies, result)
    return result


def _level_of(given: Any, name: str) -> Optional[EnforcementLevel]:
    text = given.get("enforcementLevel") if isinstance(given, Mapping) else given
    if text is None:
        return None
    if text not in LEVELS:
        raise ValueError(f"policy config {name!r}: enforcement level {text!r} must be one of {sorted(LEVELS)}")
    return LEVELS[text]


def _validate_config(policies: Sequence[Policy], result: Mapping[str, PolicySettings]) -> None:
    try:
        import jsonschema
    except ImportError:  # the engine validates anyway; offline it is a convenience
        return
    problems = []
    for policy in policies:
        if policy.config_schema is None:
            continue
        schema = {"type": "object", "properties": policy.config_schema.properties}
        if policy.config_schema.required:
            schema["required"] = policy.config_schema.required
        for error in jsonschema.Draft7Validator(schema).iter_errors(result[policy.name].config):
            location = ".".join(str(part) for part in error.absolute_path) or "(root)"
            problems.append(f"{policy.name}: {location}: {error.message}")
    if problems:
        raise ValueError("policy config is invalid: " + "; ".join(problems))


def _options(opts: ResourceOptions) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=opts.protect, ignore_changes=[], delete_before_replace=opts.delete_before_replace,
        aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[],
        parent=opts.parent,
    )


def _run(validate_call) -> None:
    result = validate_call()
    if inspect.isawaitable(result):
        # As the SDK's analyzer does: a private loop. asyncio.run() would unset the
        # thread's current loop afterwards, which breaks Pulumi's mock runtime later on.
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_await(result))
        finally:
            loop.close()


async def _await(awaitable) -> None:
    await awaitable


def _cannot_run(policy: Policy, error: UnknownValueError) -> str:
    # The engine's own wording for a policy stopped by an unknown value.
    return f"can't run policy '{policy.name}' from policy pack '{PACK_NAME}' during preview: {error.message}"


def evaluate(resources: Iterable[Resource], config: Optional[Mapping[str, Any]] = None, stack: str = "dev",
             policies: Optional[Sequence[Policy]] = None) -> list[Violation]:
    """Every violation of the pack's policies by these resources, in policy then resource order."""
    policies = list(policies) if policies is not None else pack_policies()
    settings = reconcile_config(policies, config)
    resources = [resource.with_urn(stack) for resource in resources]
    names_by_urn = {resource.urn: resource.name for resource in resources}
    # One proxy per resource, shared by every policy: rules only read props.
    proxied = [unknown_checking_proxy(dict(resource.props)) for resource in resources]
    options = [_options(resource.opts) for resource in resources]
    violations: list[Violation] = []
    stack_resources: Optional[list[PolicyResource]] = None

    for policy in policies:
        level = settings[policy.name].level
        if level == EnforcementLevel.DISABLED:
            continue
        reported_level = (EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level).value
        policy_config = settings[policy.name].config
        if isinstance(policy, ResourceValidationPolicy):
            for resource, props, opts in zip(resources, proxied, options):
                def report(message: str, urn: Optional[str] = None, _name: str = resource.name,
                           _urn: str = resource.urn) -> None:
                    violations.append(Violation(policy.name, _name, message, reported_level, _urn))
                args = ResourceValidationArgs(resource.resource_type, props, resource.urn, resource.name, opts,
                                              None, dict(policy_config), {})
                _guarded(policy, lambda: policy.validate(args, report), violations, resource.name)
        elif isinstance(policy, StackValidationPolicy):
            if stack_resources is None:
                stack_resources = [
                    PolicyResource(resource.resource_type, props, resource.urn, resource.name, opts, None, None, [], {})
                    for resource, props, opts in zip(resources, proxied, options)
                ]
                by_urn = {resource.urn: resource for resource in stack_resources}
                for resource, opts in zip(stack_resources, options):
                    resource.parent = by_urn.get(opts.parent) if opts.parent else None

            def report_stack(message: str, urn: Optional[str] = None) -> None:
                violations.append(Violation(policy.name, names_by_urn.get(urn or "", ""), message, reported_level,
                                            urn or ""))
            args = StackValidationArgs(stack_resources, dict(policy_config), {})
            _guarded(policy, lambda: policy.validate(args, report_stack), violations, "")
    return violations


def _guarded(policy: Policy, call, violations: list[Violation], resource_name: str) -> None:
    try:
        _run(call)
    except UnknownValueError as error:
        violations.append(Violation(policy.name, "", _cannot_run(policy, error), EnforcementLevel.ADVISORY.value))
    except Exception as error:  # the SDK's not_applicable() raises a private exception type
        if type(error).__name__ == "_NotApplicableError":
            return
        # The engine fails the run when a policy raises; offline that is a mandatory
        # finding naming the policy and the error, never a silent pass or a crash.
        detail = str(error).splitlines()[0] if str(error) else "no message"
        violations.append(Violation(
            policy.name, resource_name,
            f"policy could not evaluate this resource ({type(error).__name__}: {detail}); "
            "is the object valid Kubernetes? fix it, or report a bug in the policy.",
            EnforcementLevel.MANDATORY.value))


# --- one policy at a time, for tests -------------------------------------------------------------

def check_resource(policy: ResourceValidationPolicy, resource_type: str, props: Mapping[str, Any],
                   config: Optional[Mapping[str, Any]] = None, protect: bool = False, name: str = "example") -> list[str]:
    """The messages one resource policy reports for one resource (config: that policy's properties)."""
    resource = Resource(resource_type, name, props, opts=ResourceOptions(protect=protect))
    given = {policy.name: {"enforcementLevel": "mandatory", **(config or {})}}
    return [violation.message for violation in evaluate([resource], given, "test", [policy])]


def check_stack(policy: Policy, resources: Sequence[Resource],
                config: Optional[Mapping[str, Any]] = None) -> list[tuple[str, str]]:
    """(resource name, message) for each violation one policy reports on a set of resources."""
    given = {policy.name: {"enforcementLevel": "mandatory", **(config or {})}}
    return [(violation.resource, violation.message) for violation in evaluate(resources, given, "test", [policy])]


# --- Kubernetes YAML ------------------------------------------------------------------------------

def resource_type_of(manifest: Mapping[str, Any]) -> str:
    """`kubernetes:apps/v1:Deployment` for apiVersion apps/v1, kind Deployment; `core/v1` for `v1`."""
    api_version = str(manifest.get("apiVersion", ""))
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{manifest.get('kind', '')}"


def resource_from_manifest(manifest: Mapping[str, Any]) -> Resource:
    metadata = manifest.get("metadata") or {}
    name = str(metadata.get("name", ""))
    namespace = metadata.get("namespace")
    return Resource(resource_type_of(manifest), f"{namespace}/{name}" if namespace else name, dict(manifest))


def resource_from_summary(summary: Mapping[str, Any]) -> Resource:
    """A `stackctl render` summary of a non-Kubernetes resource (type, name, inputs, options)."""
    options = summary.get("options") or {}
    return Resource(str(summary["type"]), str(summary["name"]), dict(summary.get("inputs") or {}), opts=ResourceOptions(
        protect=bool(options.get("protect", False)), retain_on_delete=bool(options.get("retainOnDelete", False)),
        delete_before_replace=options.get("deleteBeforeReplace")))


def resources_from_manifests(manifests: Iterable[Mapping[str, Any]]) -> list[Resource]:
    """Kubernetes objects (a `List` expanded) and render summaries; other documents (outputs) are skipped."""
    resources = []
    for manifest in manifests:
        if "apiVersion" in manifest and "kind" in manifest:
            if str(manifest["kind"]).endswith("List") and isinstance(manifest.get("items"), list):
                resources.extend(resources_from_manifests(manifest["items"]))
            else:
                resources.append(resource_from_manifest(manifest))
        elif {"type", "name", "inputs"} <= set(manifest):
            resources.append(resource_from_summary(manifest))
    return resources


def load_manifests(*paths: Path | str) -> list[Resource]:
    """Every object in the YAML files given, or under the directories given (sorted, recursive)."""
    import yaml

    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path])
    manifests: list[Mapping[str, Any]] = []
    for file in files:
        with file.open(encoding="utf-8") as stream:
            # libyaml's loader, as `stackctl policy --manifests` and kubectl read YAML
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            manifests.extend(document for document in yaml.load_all(stream, Loader=loader)
                             if isinstance(document, Mapping))
    return resources_from_manifests(manifests)


# --- the corpus: happy-path objects for tests and the benchmark -----------------------------------

CORPUS = Path(__file__).resolve().parent / "corpus"
DELETE = object()  # `changed(..., DELETE)` removes the field


@functools.lru_cache(maxsize=None)
def _corpus(directory: str) -> tuple[Resource, ...]:
    return tuple(load_manifests(CORPUS / directory))


def corpus_resources(directory: str = "good") -> list[Resource]:
    """Fresh copies of every object of a corpus directory."""
    return [Resource(r.resource_type, r.name, copy.deepcopy(dict(r.props))) for r in _corpus(directory)]


def corpus_manifest(kind: str, name: str, directory: str = "good") -> dict[str, Any]:
    """A fresh copy of one object of the corpus, by kind and `namespace/name` (or name)."""
    for resource in _corpus(directory):
        if resource.resource_type.rsplit(":", 1)[-1] == kind and resource.name == name:
            return copy.deepcopy(dict(resource.props))
    raise KeyError(f"no {kind} {name!r} in {CORPUS / directory}")


def changed(manifest: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `manifest` with one field (dotted path, list indexes as numbers) set, or removed with DELETE."""
    result = copy.deepcopy(dict(manifest))
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    target: Any = result
    for part in parents:
        target = target[part] if isinstance(part, int) else target.setdefault(part, {})
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return result


def overlay(resources: Sequence[Resource], *replacements: Resource) -> list[Resource]:
    """`resources` with each replacement taking the place of the resource of the same type and name (or added)."""
    by_identity = {(r.resource_type, r.name): r for r in replacements}
    kept = [by_identity.pop((r.resource_type, r.name), r) for r in resources]
    return kept + [r for r in replacements if (r.resource_type, r.name) in by_identity]

"""Every Secret key a container reads is provided by a secret source of the same stack.

The seed's "silent secret drop": a pod that reads a key nobody writes sits in
CreateContainerConfigError, or, with `optional: true`, starts with the value
missing. Both are caught here, before deployment. A container reads
`env[].valueFrom.secretKeyRef` (one key) and `envFrom[].secretRef` (the whole
Secret, which must then exist). A Secret in the same namespace is provided by:

* an ExternalSecret: `spec.target.name` (default: its own name) with the keys
  `spec.data[].secretKey` and `spec.target.template.data` keys;
* a VaultStaticSecret: `spec.destination.name` with the keys listed,
  comma-separated, in its `stackctl/provided-keys` annotation (a VSS spec does
  not list keys, so the program writes them there);
* a plain Secret: its `data` and `stringData` keys.

Either source kind may also carry the annotation to declare keys the rule
cannot see (ESO `dataFrom`). A reference whose Secret name or key is unknown at
preview is reported: it cannot be shown to exist. A source whose name is
unknown provides nothing. Deliberately left out: Secret volumes and projected
volumes (the services here read secrets from env), and imagePullSecrets.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .external_secret_api_version import ESO_GROUP
from .kubernetes_resource import containers, effective_namespace, kind_of, object_name, pod_template, subject
from .resource_properties import UNKNOWN, describe, field, items, keys, schema_with_defaults, settings
from .vault_static_secret_refresh import VSO_GROUP

DEFAULTS = {"providedKeysAnnotation": "stackctl/provided-keys"}


def provided_secrets(args: StackValidationArgs, annotation: str) -> dict[tuple[str, str], set[str]]:
    """(namespace, Secret name) -> keys, over every secret source of the stack."""
    provided: dict[tuple[str, str], set[str]] = defaultdict(set)
    for resource in args.resources:
        props, kind = resource.props, kind_of(resource.resource_type)
        declared = field(props, "metadata", "annotations", annotation)
        declared_keys = {key.strip() for key in declared.split(",") if key.strip()} if isinstance(declared, str) else set()
        if kind == "ExternalSecret" and kind_of(resource.resource_type, ESO_GROUP):
            name = field(props, "spec", "target", "name")
            if name is None:
                name = object_name(props, resource.name)
            found = {field(entry, "secretKey") for entry in items(field(props, "spec", "data"))}
            found |= set(keys(field(props, "spec", "target", "template", "data")))
        elif kind == "VaultStaticSecret" and kind_of(resource.resource_type, VSO_GROUP):
            name, found = field(props, "spec", "destination", "name"), set()
        elif kind == "Secret" and kind_of(resource.resource_type, "core"):
            name = object_name(props, resource.name)
            found = set(keys(field(props, "data"))) | set(keys(field(props, "stringData")))
        else:
            continue
        namespace = effective_namespace(props)
        if isinstance(name, str) and isinstance(namespace, str):
            provided[(namespace, name)] |= {key for key in found | declared_keys if isinstance(key, str)}
    return provided


def _references(container: Any):
    """(how, Secret name, key or None) for every Secret reference of a container."""
    for env in items(field(container, "env")):  # an unknown list yields one UNKNOWN
        reference = field(env, "valueFrom", "secretKeyRef")
        if env is UNKNOWN or reference is UNKNOWN:
            yield "env", UNKNOWN, UNKNOWN
        elif reference is not None:
            yield f"env {field(env, 'name')}", field(reference, "name"), field(reference, "key")
    env_from = field(container, "envFrom")
    for index, source in enumerate(items(env_from)):
        reference = field(source, "secretRef")
        if source is UNKNOWN or reference is UNKNOWN:
            yield "envFrom", UNKNOWN, None
        elif reference is not None:
            yield f"envFrom[{index}]", field(reference, "name"), None


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    annotation = settings(args.get_config(), DEFAULTS)["providedKeysAnnotation"]
    provided = provided_secrets(args, annotation)
    for resource in args.resources:
        template = pod_template(resource.resource_type, resource.props)
        if template is None:
            continue
        namespace = effective_namespace(resource.props)
        if namespace is UNKNOWN:
            continue  # cannot be matched; a workload's namespace is known whenever its sources' are
        who = subject(resource.resource_type, resource.props, resource.name)
        for container in containers(template[1]):
            for how, secret, key in _references(container.value):
                reader = f"{who} {container.label} {how}"
                if secret is UNKNOWN or key is UNKNOWN:
                    report_violation(f"Secret reference of {reader} (Secret {describe(secret)}, key {describe(key)}) "
                                     "must be known at preview.", resource.urn)
                elif (namespace, secret) not in provided:
                    report_violation(f"Secret '{namespace}/{secret}' read by {reader} must be created by an "
                                     "ExternalSecret, VaultStaticSecret or Secret in this stack.", resource.urn)
                elif key is not None and key not in provided[(namespace, secret)]:
                    known = ", ".join(sorted(provided[(namespace, secret)])) or f"none declared ({annotation})"
                    report_violation(f"Key '{key}' of Secret '{namespace}/{secret}' read by {reader} must be "
                                     f"provided by its source (provided: {known}).", resource.urn)


POLICY = StackValidationPolicy(
    name="secret-key-coverage",
    description="Every Secret key a container reads must be provided by a secret source in the stack.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "providedKeysAnnotation": {"type": "string", "description": "Annotation listing, comma-separated, the keys "
                                   "a secret source provides. Default: stackctl/provided-keys."},
    }, DEFAULTS)),
)

"""No secret is written as a literal into an env var or a ConfigMap.

A literal lands in the Pulumi state, the rendered YAML, `kubectl describe` and
every log that prints the pod spec; secrets come from a Secret source
(VaultStaticSecret, ExternalSecret) through `valueFrom.secretKeyRef`.

This is a name-based heuristic: an env var name or ConfigMap key that matches
`namePattern` (searched case-insensitively, Python `re` syntax; default
`token|secret|passw(or)?d|pwd|credential|api[-_]?key|private[-_]?key|access[-_]?key|(^|[-_])key$`:
`DB_PWD`, `AWS_ACCESS_KEY_ID`, `STRIPE_KEY` included) and does not match
`notSecretPattern` (default `[-_](path|file|filename|dir|directory|name)$`:
`JWT_SECRET_KEY_PATH`, `TOKEN_FILE`, `TLS_SECRET_NAME` name where a secret is,
not the secret) and carries a literal non-empty value is reported. A value computed from another resource's output
(unknown at preview) is a literal too, and is reported. A name that matches but
holds no secret (`TOKEN_FILE=/var/run/...`) goes into `allowedNames`, which by
default lists `AZURE_TOKEN_CREDENTIALS`: the Azure SDKs read it to choose a
credential type (the Litestream containers set it to
`WorkloadIdentityCredential`), never a secret. A config that gives
`allowedNames` replaces that default whole.
Deliberately left out: scanning values for secret-looking strings (entropy
checks belong in a secret scanner, not here).
"""
from __future__ import annotations

import re

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kubernetes_resource import containers, kind_of, pod_template, subject
from .resource_properties import UNKNOWN, field, items, keys, schema_with_defaults, settings

DEFAULTS = {
    "namePattern": r"token|secret|passw(or)?d|pwd|credential|api[-_]?key|private[-_]?key|access[-_]?key|(^|[-_])key$",
    "notSecretPattern": r"[-_](path|file|filename|dir|directory|name)$",
    "allowedNames": ["AZURE_TOKEN_CREDENTIALS"],
}


def _literal(value) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value != "")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = settings(args.get_config(), DEFAULTS)
    pattern = re.compile(config["namePattern"], re.IGNORECASE)
    not_secret = re.compile(config["notSecretPattern"], re.IGNORECASE) if config["notSecretPattern"] else None
    allowed = set(config["allowedNames"])

    def secret_like(name) -> bool:
        return isinstance(name, str) and name not in allowed and pattern.search(name) is not None and \
            (not_secret is None or not_secret.search(name) is None)

    who = subject(args.resource_type, args.props, args.name)
    if kind_of(args.resource_type, "core") == "ConfigMap":
        for section in ("data", "binaryData"):
            values = field(args.props, section)
            for key in keys(values):
                if secret_like(key) and _literal(field(values, key)):
                    report_violation(f"{who} {section} key '{key}' must not hold a literal secret "
                                     "(move it to a Secret source and mount that).")
        return
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    for container in containers(template[1]):
        for env in items(field(container.value, "env")):
            name = field(env, "name")
            if secret_like(name) and _literal(field(env, "value")):
                report_violation(f"{who} {container.label} env {name} must take its value from a Secret "
                                 "(valueFrom.secretKeyRef), not a literal.")


POLICY = ResourceValidationPolicy(
    name="no-literal-secret-values",
    description="Env vars and ConfigMap keys named like secrets must not hold literal values.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "namePattern": {"type": "string", "description": "Regular expression (Python re, case-insensitive) "
                        "for secret-like names. Default: token|secret|passw(or)?d|pwd|credential|api[-_]?key|"
                        "private[-_]?key|access[-_]?key|(^|[-_])key$."},
        "notSecretPattern": {"type": "string", "description": "Regular expression (Python re, case-insensitive) "
                             "for names that point at a secret rather than hold one; empty to exempt none. "
                             "Default: [-_](path|file|filename|dir|directory|name)$."},
        "allowedNames": {"type": "array", "items": {"type": "string"},
                         "description": "Exact names that match the pattern but hold no secret. "
                                        "Default: AZURE_TOKEN_CREDENTIALS."},
    }, DEFAULTS)),
)

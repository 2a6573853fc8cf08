"""An Ingress carries no ingress-nginx `*-snippet` annotation.

Snippets paste raw nginx configuration into the shared controller: anyone who
can write an Ingress can read every Secret the controller can (CVE-2021-25742)
or break routing for every other host. Forward-auth, headers and WebSocket
timeouts all have dedicated annotations. The pattern is `annotationPattern`
(Python `re`, matched against the whole annotation name).
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

from .kubernetes_resource import kind_of, subject
from .resource_properties import UNKNOWN, field, keys, schema_with_defaults, settings

DEFAULTS = {"annotationPattern": r"nginx\.ingress\.kubernetes\.io/.*-snippets?"}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "networking.k8s.io") != "Ingress":
        return
    pattern = re.compile(settings(args.get_config(), DEFAULTS)["annotationPattern"])
    who = subject(args.resource_type, args.props, args.name)
    annotations = field(args.props, "metadata", "annotations")
    if annotations is UNKNOWN:
        report_violation(f"{who} metadata.annotations (unknown at preview) must be known, without snippets.")
        return
    for name in sorted(keys(annotations)):
        if pattern.fullmatch(name):
            report_violation(f"{who} annotation '{name}' must be removed (snippets inject raw nginx configuration).")


POLICY = ResourceValidationPolicy(
    name="ingress-no-snippet-annotations",
    description="Ingresses must not use nginx.ingress.kubernetes.io/*-snippet annotations.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=schema_with_defaults({
        "annotationPattern": {"type": "string", "description": "Regular expression (Python re, full match) of "
                              "forbidden annotation names. Default: nginx\\.ingress\\.kubernetes\\.io/.*-snippets?."},
    }, DEFAULTS)),
)

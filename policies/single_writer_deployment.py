"""A Deployment that mounts a claim runs one replica with the Recreate strategy.

A ReadWriteOnce volume attaches to one node and SQLite tolerates one writer:
a second replica, or a RollingUpdate that starts the new pod before the old
one stops, either hangs on the volume attach or corrupts the database.

The rule sees one resource, not the claim, so it cannot read the claim's
access mode. It relies on `persistent-volume-claim-access-mode`, which by
default admits only ReadWriteOnce and ReadWriteOncePod claims: every claim a
Deployment mounts is then single-writer. A claim that is really ReadWriteMany
goes into `sharedClaimNames`. An unknown claim name counts as single-writer.
`single_writer_claims()` is the one definition of "single writer" that the
autoscaler and disruption-budget stack rules use too.
"""
from __future__ import annotations

from typing import Any, Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kubernetes_resource import claim_names, kind_of, pod_template, subject
from .resource_properties import UNKNOWN, describe, field, schema_with_defaults, settings

DEFAULTS = {"sharedClaimNames": []}
CONFIG_SCHEMA = PolicyConfigSchema(properties=schema_with_defaults({
    "sharedClaimNames": {"type": "array", "items": {"type": "string"},
                         "description": "Claims known to be ReadWriteMany, which do not make a single writer. "
                                        "Default: none."},
}, DEFAULTS))


def single_writer_claims(resource_type: str, props: Any, config: Mapping[str, Any]) -> list[str]:
    """The claims that make a Deployment a single writer (names; '<unknown>' for unknown ones)."""
    if kind_of(resource_type, "apps") != "Deployment":
        return []
    shared = set(settings(config, DEFAULTS)["sharedClaimNames"])
    _, pod_spec = pod_template(resource_type, props)
    return [("<unknown>" if name is UNKNOWN else str(name))
            for name in claim_names(pod_spec) if name is UNKNOWN or name not in shared]


def describe_claims(claims: list[str]) -> str:
    return ", ".join(f"'{claim}'" for claim in claims)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    claims = single_writer_claims(args.resource_type, args.props, args.get_config())
    if not claims:
        return
    who = subject(args.resource_type, args.props, args.name)
    because = f"because it mounts claim {describe_claims(claims)}"
    replicas = field(args.props, "spec", "replicas")
    if not (replicas is None or (replicas == 1 and not isinstance(replicas, bool))):
        report_violation(f"{who} spec.replicas ({describe(replicas)}) must be 1 {because}.")
    strategy = field(args.props, "spec", "strategy", "type")
    if strategy != "Recreate":
        shown = "'RollingUpdate' by default" if strategy is None else describe(strategy)
        report_violation(f"{who} spec.strategy.type ({shown}) must be Recreate {because}.")


POLICY = ResourceValidationPolicy(
    name="single-writer-deployment",
    description="A Deployment mounting a ReadWriteOnce claim must run 1 replica with the Recreate strategy.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG_SCHEMA,
)

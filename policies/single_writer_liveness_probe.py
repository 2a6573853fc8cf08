"""Every app container of a single-writer Deployment has a livenessProbe.

A single writer runs one pod, holding the only attachment of its claim. If its
process hangs (a deadlock, a stuck SQLite lock, a wedged event loop) without
exiting, nothing restarts it: the kubelet only restarts crashed processes or
failed liveness probes, and the Recreate strategy lets no second pod take
over. A livenessProbe turns a hang into a restart. Replicated Deployments can
ride on readiness and their other replicas, so the rule is for single writers
(`single_writer_deployment.single_writer_claims()`, with `sharedClaimNames`).

The app containers are `spec.containers`, sidecars there included (a hung
sidecar of a writer, such as a backup replicator, fails as silently); init
containers run to completion and ephemeral ones are for debugging, so both
are left out. A probe must name a handler (`exec`, `httpGet`, `tcpSocket` or
`grpc`); an unknown probe or container list is reported.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import containers, pod_template, subject
from .resource_properties import UNKNOWN, field
from .single_writer_deployment import CONFIG_SCHEMA, describe_claims, single_writer_claims

HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    claims = single_writer_claims(args.resource_type, args.props, args.get_config())
    if not claims:
        return
    who = subject(args.resource_type, args.props, args.name)
    because = (f"because it is a single writer (claim {describe_claims(claims)}): a hung writer is never "
               "restarted and keeps the only writer slot")
    _, pod_spec = pod_template(args.resource_type, args.props)
    for container in containers(pod_spec, include_ephemeral=False):
        if container.label.split(" ")[0] not in ("container", "containers"):
            continue  # an init container, or the init container list unknown at preview
        probe = field(container.value, "livenessProbe")
        if probe is UNKNOWN or container.value is UNKNOWN:
            shown = "unknown at preview"
        elif probe is None:
            shown = "unset"
        elif all(field(probe, handler) is None for handler in HANDLERS):
            shown = "no handler"
        else:
            continue
        report_violation(f"{who} {container.label} livenessProbe ({shown}) must be set {because}.")


POLICY = ResourceValidationPolicy(
    name="single-writer-liveness-probe",
    description="Every app container of a Deployment mounting a ReadWriteOnce claim must have a livenessProbe.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG_SCHEMA,
)

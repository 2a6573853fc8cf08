"""A CronJob never runs two jobs at once, starts late only within a deadline, and says what it keeps.

By default (`concurrencyPolicy: Allow`) a run that outlasts its interval
overlaps the next one; `Forbid` skips the next run instead. `Replace` stops
the running job and starts a new one, but the old pod may still be
terminating, so it is allowed only when the pod mounts no
PersistentVolumeClaim. A pod that mounts a single-writer claim (by
`single_writer_claims()`, with `sharedClaimNames` as for
`single-writer-deployment`; an unknown claim counts) is reported whatever the
concurrency policy: its job would run beside the single writer on the same
file. Without `startingDeadlineSeconds` a run missed while the controller
or the cluster was down starts whenever the controller catches up, however
late (past 100 missed runs it only logs a warning); the history limits
default to 3 succeeded and 1 failed jobs, which must be a stated choice. Unknown values at preview are
violations. Deliberately left out: the schedule and time zone (any is valid),
`suspend`, and the job's own `backoffLimit` and deadlines.
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import claim_names, kind_of, subject
from .resource_properties import UNKNOWN, describe, field
from .single_writer_deployment import CONFIG_SCHEMA, describe_claims, single_writer_claims

HISTORY_DEFAULTS = {"successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}


def _count(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _single_writer_claims(props: Any, config: Any) -> list[str]:
    # `single_writer_claims()` reads a Deployment; hand it this pod template in a Deployment's
    # place, so that "single writer" keeps its one definition.
    template = field(props, "spec", "jobTemplate", "spec", "template")
    return single_writer_claims("kubernetes:apps/v1:Deployment", {"spec": {"template": template}}, config)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "batch") != "CronJob":
        return
    who = subject(args.resource_type, args.props, args.name)
    spec = field(args.props, "spec")
    writers = _single_writer_claims(args.props, args.get_config())
    if writers:
        report_violation(f"{who} must not mount single-writer claim {describe_claims(writers)}: its jobs would run "
                         "beside the single writer on the same file.")

    policy = field(spec, "concurrencyPolicy")
    claims = claim_names(field(spec, "jobTemplate", "spec", "template", "spec"))
    if policy == "Replace" and claims:
        shown = describe_claims(["<unknown>" if claim is UNKNOWN else str(claim) for claim in claims])
        report_violation(f"{who} spec.concurrencyPolicy ('Replace') must be Forbid because the pod mounts claim "
                         f"{shown} (a replaced job's pod may still hold it).")
    elif policy not in ("Forbid", "Replace"):
        shown = "'Allow' by default" if policy is None else describe(policy)
        report_violation(f"{who} spec.concurrencyPolicy ({shown}) must be Forbid, or Replace if the pod mounts no "
                         "PersistentVolumeClaim (two runs must not overlap).")

    deadline = field(spec, "startingDeadlineSeconds")
    if not (_count(deadline) and deadline > 0):
        report_violation(f"{who} spec.startingDeadlineSeconds ({describe(deadline)}) must be a number of seconds "
                         "above 0 (without it a missed run starts however late the controller catches up).")

    for name, default in HISTORY_DEFAULTS.items():
        value = field(spec, name)
        if not _count(value):
            shown = f"unset: {default} by default" if value is None else describe(value)
            report_violation(f"{who} spec.{name} ({shown}) must be set to the number of jobs to keep.")


POLICY = ResourceValidationPolicy(
    name="cron-job-concurrency",
    description="A CronJob must forbid overlapping runs, set a starting deadline and history limits, "
                "and mount no single-writer claim.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG_SCHEMA,
)

"""No Role or ClusterRole grants every verb or every resource with `*`.

A wildcard grants what exists today and whatever an API or CRD adds later
(`*` resources covers `secrets`, `pods/exec` and every custom resource), so
nobody can review what the role allows. Checked: `*` in a rule's `verbs` or
`resources` (`pods/*` and `*/status` included), through `rbac_role.rules()`.
Deliberately left out: `*` in `apiGroups` alone (a rule naming its resources,
`deployments` in every group, stays reviewable) and aggregated ClusterRoles
(their rules come from the roles they aggregate, judged themselves).
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .rbac_role import ALLOWED_ROLES_SCHEMA, WILDCARD, report_role_rules
from .resource_properties import UNKNOWN, field, items


def _has_wildcard(_kind: str, rule: Any) -> Any:
    if rule is UNKNOWN:
        return UNKNOWN
    entries = list(items(field(rule, "verbs"))) + list(items(field(rule, "resources")))
    if any(entry == WILDCARD or (isinstance(entry, str) and WILDCARD in entry.split("/")) for entry in entries):
        return True
    return UNKNOWN if UNKNOWN in entries else False


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_role_rules(args, report_violation, _has_wildcard, "use '*' in verbs or resources",
                      "a wildcard also grants what later APIs add; list the verbs and resources needed")


POLICY = ResourceValidationPolicy(
    name="rbac-no-wildcard",
    description="Roles and ClusterRoles must list their verbs and resources, not grant them with '*'.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ALLOWED_ROLES_SCHEMA,
)

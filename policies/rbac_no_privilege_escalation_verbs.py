"""No Role or ClusterRole grants `escalate`, `bind` or `impersonate` on everything.

Each verb steps around RBAC's own guard: `escalate` on roles writes a role
with permissions its author lacks, `bind` on roles binds any of them (up to
`cluster-admin`), `impersonate` acts as another user, group or service
account. Checked (`rbac_role.grants()`, wildcards included): `escalate` or
`bind` on `roles`/`clusterroles` of `rbac.authorization.k8s.io`, and
`impersonate` on `users`, `groups`, `serviceaccounts`, `uids` or
`userextras/*` (core and `authentication.k8s.io`). A rule narrowed by
`resourceNames` passes: binding one named role, or impersonating one named
account, is the documented way to delegate exactly that. Deliberately left
out: `create` on `serviceaccounts/token` (mints a token of one account, a
narrower step).
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .rbac_role import ALLOWED_ROLES_SCHEMA, RBAC_GROUP, grants, narrowed_by_name, report_role_rules
from .resource_properties import UNKNOWN

ROLE_RESOURCES = ("roles", "clusterroles")
IDENTITY_RESOURCES = ("users", "groups", "serviceaccounts", "uids", "userextras/*")


def _escalates(_kind: str, rule: Any) -> Any:
    if narrowed_by_name(rule):
        return False
    answers = [grants(rule, ("escalate", "bind"), ROLE_RESOURCES, (RBAC_GROUP,)),
               grants(rule, ("impersonate",), IDENTITY_RESOURCES, ("", "authentication.k8s.io"))]
    if True in answers:
        return True
    return UNKNOWN if UNKNOWN in answers else False


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_role_rules(args, report_violation, _escalates,
                      "grant escalate or bind on roles, or impersonate, without resourceNames",
                      "each lets its holder grant itself more than it was given")


POLICY = ResourceValidationPolicy(
    name="rbac-no-privilege-escalation-verbs",
    description="Roles and ClusterRoles must not grant escalate, bind or impersonate beyond named objects.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ALLOWED_ROLES_SCHEMA,
)

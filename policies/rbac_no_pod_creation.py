"""No Role or ClusterRole creates pods directly.

Whoever creates a pod chooses its service account and mounts any Secret of
the namespace, so `create` on `pods` reaches every permission and Secret there.
Checked: a rule granting `create` on core `pods`, wildcards included
(`rbac_role.grants()`). Deliberately left out: `create` on workload kinds
(Deployments, Jobs, ...): every deploy tool and operator needs it, and the
pods they make pass the same pod-security admission; a reviewed role that
must create pods goes into `allowedRoles`.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .rbac_role import ALLOWED_ROLES_SCHEMA, grants, report_role_rules


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_role_rules(args, report_violation, lambda _kind, rule: grants(rule, ("create",), ("pods",)),
                      "grant create on pods",
                      "a pod's creator picks its service account and mounts any Secret of the namespace")


POLICY = ResourceValidationPolicy(
    name="rbac-no-pod-creation",
    description="Roles and ClusterRoles must not grant creating pods directly.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ALLOWED_ROLES_SCHEMA,
)

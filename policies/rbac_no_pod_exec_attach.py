"""No Role or ClusterRole lets its holder exec into or attach to pods.

`pods/exec` and `pods/attach` run commands in, or take over the terminal of,
any pod the role reaches, with that pod's service account, mounted Secrets and
network position: a read of everything the workload can read. Checked: a rule
granting `create` (the verb the API server authorizes for exec and attach) or
`get` (what it authorized before WebSocket streaming, still granted by old
charts) on `pods/exec` or `pods/attach` in the core group, wildcards included
(`rbac_role.grants()`). Deliberately left out: `pods/portforward` (reaches a
pod's ports, not its processes or files) and `pods/ephemeralcontainers` (a
debug container still passes pod-security admission in the namespace).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .rbac_role import ALLOWED_ROLES_SCHEMA, grants, report_role_rules


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_role_rules(args, report_violation,
                      lambda _kind, rule: grants(rule, ("create", "get"), ("pods/exec", "pods/attach")),
                      "grant create or get on pods/exec or pods/attach",
                      "exec and attach run as the pod, with its token and Secrets")


POLICY = ResourceValidationPolicy(
    name="rbac-no-pod-exec-attach",
    description="Roles and ClusterRoles must not grant exec into or attach to pods.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ALLOWED_ROLES_SCHEMA,
)

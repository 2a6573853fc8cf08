"""No ClusterRole reads Secrets across the cluster; a Role reading its own namespace's Secrets is accepted.

`get`, `list` or `watch` on `secrets` in a ClusterRole becomes every
namespace's Secrets as soon as a ClusterRoleBinding grants it (and `list`
returns their values, not just their names). The decision: a ClusterRole may
not grant them unless the rule names its Secrets (`resourceNames`); a `Role`
may, because a namespace's Secrets are that namespace's own business (an
operator that writes its Secret, a controller reading its TLS key), and the
blast radius is the namespace. Wildcards count (`rbac_role.grants()`).
Deliberately left out: a ClusterRole bound only by RoleBindings (namespaced in
effect, but a later ClusterRoleBinding is one line away: list it in
`allowedRoles` after review), and `create`/`update` on Secrets (writing is
not reading them).
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .rbac_role import ALLOWED_ROLES_SCHEMA, READ_VERBS, grants, narrowed_by_name, report_role_rules


def _reads_secrets_cluster_wide(kind: str, rule: Any) -> Any:
    if kind != "ClusterRole" or narrowed_by_name(rule):
        return False
    return grants(rule, READ_VERBS, ("secrets",))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_role_rules(args, report_violation, _reads_secrets_cluster_wide,
                      "grant get, list or watch on secrets without resourceNames",
                      "bound cluster-wide it reads every namespace's Secrets; grant it in a Role per namespace")


POLICY = ResourceValidationPolicy(
    name="rbac-no-cluster-wide-secret-reads",
    description="ClusterRoles must not grant reading Secrets unless they name them; Roles may, in their namespace.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ALLOWED_ROLES_SCHEMA,
)

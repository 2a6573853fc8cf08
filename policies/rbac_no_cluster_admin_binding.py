"""No RoleBinding or ClusterRoleBinding grants the `cluster-admin` ClusterRole.

`cluster-admin` is every verb on every resource; bound by a ClusterRoleBinding
it owns the cluster, and even through a RoleBinding it owns the namespace,
RBAC of the namespace included. Charts that ask for it ask for more than any
controller needs. Checked: `roleRef` of kind `ClusterRole` named
`cluster-admin`. A reviewed binding goes into `allowedBindings`
(`ClusterRoleBinding/name` or `RoleBinding/namespace/name`). Deliberately left
out: the `system:masters` group (a client-certificate group that no binding
creates, disabled for local accounts on AKS with Entra ID) and roles that
merely copy cluster-admin's rules (`rbac-no-wildcard` reports those).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import subject
from .rbac_role import ALLOWED_BINDINGS_SCHEMA, binding_under_review, identity
from .resource_properties import UNKNOWN, describe, field

CLUSTER_ADMIN = "cluster-admin"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = binding_under_review(args)
    if kind is None:
        return
    role_kind, role_name = field(args.props, "roleRef", "kind"), field(args.props, "roleRef", "name")
    if role_kind in ("ClusterRole", UNKNOWN) and role_name in (CLUSTER_ADMIN, UNKNOWN):
        who = subject(args.resource_type, args.props, args.name)
        report_violation(f"{who} roleRef ({describe(role_kind)} {describe(role_name)}) must not be the "
                         f"ClusterRole '{CLUSTER_ADMIN}' (bind a role with the verbs and resources needed; "
                         f"or list '{identity(kind, args.props, args.name)}' in allowedBindings).")


POLICY = ResourceValidationPolicy(
    name="rbac-no-cluster-admin-binding",
    description="RoleBindings and ClusterRoleBindings must not grant the cluster-admin ClusterRole.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ALLOWED_BINDINGS_SCHEMA,
)

"""No RoleBinding or ClusterRoleBinding grants anything to a namespace's `default` service account.

Every pod that names no service account runs as `default`, so a role bound
to it goes to every such pod of the namespace, present and future, whoever
deploys it. Workloads that need API access get an account of their own.
Checked: each `subjects[]` entry of kind `ServiceAccount` named `default`
(its namespace is the binding's when unset, as the authorizer reads it). A
reviewed binding goes into `allowedBindings`. Deliberately left out: the
`system:serviceaccounts` groups (every account of the cluster or a
namespace, a grant no chart makes by accident) and pods that run as
`default` (`service-account-token-not-mounted` keeps its token out of them).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import effective_namespace, subject
from .rbac_role import ALLOWED_BINDINGS_SCHEMA, binding_under_review, identity
from .resource_properties import UNKNOWN, field, items

DEFAULT_ACCOUNT = "default"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = binding_under_review(args)
    if kind is None:
        return
    who = subject(args.resource_type, args.props, args.name)
    for index, entry in enumerate(items(field(args.props, "subjects"))):
        entry_kind, name = field(entry, "kind"), field(entry, "name")
        if entry is UNKNOWN or (entry_kind in ("ServiceAccount", UNKNOWN) and name in (DEFAULT_ACCOUNT, UNKNOWN)):
            namespace = field(entry, "namespace")
            if namespace is None and kind == "RoleBinding":
                namespace = effective_namespace(args.props)
            shown = "unknown at preview" if UNKNOWN in (entry, entry_kind, name, namespace) else \
                f"ServiceAccount '{namespace}/{name}'"
            report_violation(f"{who} subjects[{index}] ({shown}) must not be a namespace's default service "
                             "account (every pod that names no account runs as it; give the workload its own; "
                             f"or list '{identity(kind, args.props, args.name)}' in allowedBindings).")


POLICY = ResourceValidationPolicy(
    name="rbac-no-default-service-account-binding",
    description="Bindings must not grant roles to a namespace's default service account.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ALLOWED_BINDINGS_SCHEMA,
)

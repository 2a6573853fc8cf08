"""RBAC objects as the authorizer reads them: the rules of a Role or ClusterRole, the subjects and role of a binding.

The RBAC authorizer grants a request when one rule lists its API group, its
resource (`pods/exec` for a subresource) and its verb, each either by name or
by `*`; `resourceNames`, when given, narrows the rule to those objects. The
rule policies (`rbac-*`) ask `grants()` one question each, so every one of
them reads wildcards, the core group `""` and subresources the same way.

Each rule policy judges the Role or ClusterRole that grants the permission,
not only a binding of it: a role is granted to someone sooner or later, and a
binding in another chart or made by hand is outside any one scan. A role a
reviewer accepts goes into the policy's `allowedRoles` (`ClusterRole/name` or
`Role/namespace/name`). Deliberately left out: aggregated ClusterRoles
(`aggregationRule`: the controller fills their rules from other roles, which
are judged themselves) and non-resource URLs (`nonResourceURLs`: `/metrics`,
`/healthz`, nothing that reaches a workload).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs

from .kubernetes_resource import effective_namespace, kind_of, object_name, subject
from .resource_properties import UNKNOWN, describe, field, items, schema_with_defaults, settings

RBAC_GROUP = "rbac.authorization.k8s.io"
ROLE_KINDS = frozenset({"Role", "ClusterRole"})
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
WILDCARD = "*"
READ_VERBS = ("get", "list", "watch")

ALLOWED_ROLES_DEFAULTS = {"allowedRoles": []}
ALLOWED_ROLES_SCHEMA = PolicyConfigSchema(properties=schema_with_defaults({
    "allowedRoles": {"type": "array", "items": {"type": "string"},
                     "description": "Roles reviewed and accepted despite this rule ('ClusterRole/name' or "
                                    "'Role/namespace/name'). Default: none."},
}, ALLOWED_ROLES_DEFAULTS))


def role_kind(resource_type: str) -> Any:
    """'Role' or 'ClusterRole' for an RBAC role, else None."""
    kind = kind_of(resource_type, RBAC_GROUP)
    return kind if kind in ROLE_KINDS else None


def binding_kind(resource_type: str) -> Any:
    """'RoleBinding' or 'ClusterRoleBinding' for an RBAC binding, else None."""
    kind = kind_of(resource_type, RBAC_GROUP)
    return kind if kind in BINDING_KINDS else None


def identity(kind: str, props: Any, fallback_name: str) -> str:
    """How `allowedRoles` names a role or binding: `ClusterRole/name`, `Role/namespace/name`."""
    name = object_name(props, fallback_name)
    if kind.startswith("Cluster"):
        return f"{kind}/{name}"
    namespace = effective_namespace(props)
    return f"{kind}/{'<unknown>' if namespace is UNKNOWN else namespace}/{name}"


ALLOWED_BINDINGS_DEFAULTS = {"allowedBindings": []}
ALLOWED_BINDINGS_SCHEMA = PolicyConfigSchema(properties=schema_with_defaults({
    "allowedBindings": {"type": "array", "items": {"type": "string"},
                        "description": "Bindings reviewed and accepted despite this rule ('ClusterRoleBinding/name' "
                                       "or 'RoleBinding/namespace/name'). Default: none."},
}, ALLOWED_BINDINGS_DEFAULTS))


def is_allowed(kind: str, props: Any, fallback_name: str, allowed: Iterable[str]) -> bool:
    """Whether `allowedRoles`/`allowedBindings` lists this object; never when its namespace is unknown."""
    if not kind.startswith("Cluster") and effective_namespace(props) is UNKNOWN:
        return False
    return identity(kind, props, fallback_name) in list(allowed)


def binding_under_review(args: ResourceValidationArgs) -> Any:
    """The kind of an RBAC binding the binding rules judge, or None: not a binding, or listed in `allowedBindings`."""
    kind = binding_kind(args.resource_type)
    if kind is None:
        return None
    allowed = settings(args.get_config(), ALLOWED_BINDINGS_DEFAULTS)["allowedBindings"]
    return None if is_allowed(kind, args.props, args.name, allowed) else kind


def rules(props: Any) -> Iterator[tuple[str, Any]]:
    """(label, rule) for each rule of a role: `rules[0]`; one UNKNOWN entry when the list is unknown."""
    if field(props, "aggregationRule") is not None:
        return  # filled by the aggregation controller from roles judged on their own
    for index, rule in enumerate(items(field(props, "rules"))):
        yield f"rules[{index}]", rule


def _lists(value: Any, wanted: Iterable[str], prefixes: tuple[str, ...] = ()) -> Any:
    """Whether a rule's list names one of `wanted`, `*`, or an entry starting with one of `prefixes`."""
    wanted = set(wanted)
    entries = list(items(value))
    if UNKNOWN in entries:
        return UNKNOWN
    return any(entry == WILDCARD or entry in wanted or (prefixes and isinstance(entry, str)
                                                         and entry.startswith(prefixes)) for entry in entries)


def grants(rule: Any, verbs: Iterable[str], resources: Iterable[str], groups: Iterable[str] = ("",)) -> Any:
    """Whether one rule grants one of `verbs` on one of `resources` of one of `groups`: True, False, UNKNOWN.

    `resources` may name subresources (`pods/exec`); the authorizer also
    grants `pods/exec` to a rule listing `pods/*` and `*/exec`, so those count.
    A rule narrowed by `resourceNames` still grants what it lists, on those objects.
    """
    if rule is UNKNOWN:
        return UNKNOWN
    resources = list(resources)
    spelled = set(resources)
    # a wanted `userextras/*` stands for every subresource of `userextras`
    prefixes = tuple(resource[:-1] for resource in resources if resource.endswith("/*"))
    for resource in resources:
        if "/" in resource:
            parent, sub = resource.split("/", 1)
            spelled |= {f"{parent}/*", f"*/{sub}"}
    answers = [_lists(field(rule, "apiGroups"), groups), _lists(field(rule, "resources"), spelled, prefixes),
               _lists(field(rule, "verbs"), verbs)]
    if False in answers:
        return False
    return UNKNOWN if UNKNOWN in answers else True


def narrowed_by_name(rule: Any) -> bool:
    """Whether a rule names the objects it applies to (`resourceNames`), so it reaches no others."""
    names = field(rule, "resourceNames")
    return names is not UNKNOWN and bool(list(items(names))) and UNKNOWN not in list(items(names))


def report_role_rules(args: ResourceValidationArgs, report_violation: ReportViolation,
                      offends: Callable[[str, Any], Any], must_not: str, because: str) -> None:
    """Reports each rule of a Role or ClusterRole for which `offends(kind, rule)` is True or UNKNOWN.

    The message reads `<role> rules[i] (<rule>) must not <must_not> (<because>; or list ... in allowedRoles).`
    """
    kind = role_kind(args.resource_type)
    if kind is None:
        return
    allowed = settings(args.get_config(), ALLOWED_ROLES_DEFAULTS)["allowedRoles"]
    if is_allowed(kind, args.props, args.name, allowed):
        return
    who = subject(args.resource_type, args.props, args.name)
    name = identity(kind, args.props, args.name)
    for label, rule in rules(args.props):
        if offends(kind, rule) is not False:
            report_violation(f"{who} {label} ({describe(rule)}) must not {must_not} "
                             f"({because}; or list '{name}' in allowedRoles).")

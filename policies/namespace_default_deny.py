"""Every namespace that runs pods has a default-deny NetworkPolicy, ingress and egress.

Without one, any pod in the cluster reaches the namespace's pods and they reach
anything; allow policies only add to what default-deny refuses. A policy is
default-deny when it selects every pod (`podSelector: {}`), lists both
`Ingress` and `Egress` in `policyTypes` (unset means Ingress only, so egress
stays open) and has no `ingress` or `egress` rules. A namespace needs one when
the stack puts a workload in it (every kind that runs pods,
`kubernetes_resource.pod_template()`), whether or not the stack also registers
the Namespace: pods the stack places in someone else's namespace are still its
pods. Namespaces without workloads (the edge namespace's Certificate) are left
alone here.

Cilium, AKS's other network dataplane, counts too. A `CiliumNetworkPolicy`
(`cilium.io/v2`) isolates its namespace, and a `CiliumClusterwideNetworkPolicy`
every namespace, in a direction when one of its rules (`spec`, or each of
`specs`) selects every endpoint (`endpointSelector: {}`), puts that direction
in default deny (`enableDefaultDeny.<direction>: true`, or unset with an
`ingress`/`ingressDeny` (resp. `egress`/`egressDeny`) section present, as the
Cilium agent decides it) and allows nothing in it (every `ingress`/`egress`
entry is `{}`). Directions add up across Cilium policies, as Cilium's
per-endpoint default-deny does. Left out: Cilium rules selecting by
`nodeSelector` (host policies) or by namespace label in a clusterwide policy
(`k8s:io.kubernetes.pod.namespace`), and Calico's own policy kinds.

Unknown at preview: a NetworkPolicy whose namespace, selector, types or rules
are unknown cannot be shown to isolate anything and does not count; a workload
whose namespace is unknown is reported under `<unknown>`, since no policy can
be matched to it. The violation is reported on the Namespace when the stack
registers it, else on the namespace's first workload.
"""
from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .kubernetes_resource import effective_namespace, kind_of, object_name, pod_template
from .resource_properties import UNKNOWN, field, is_list, items, keys

DEFAULT_DENY = ("a default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, "
                "no ingress or egress rules)")
CILIUM_GROUP = "cilium.io"
CILIUM_DIRECTIONS = {"ingress": ("ingress", "ingressDeny"), "egress": ("egress", "egressDeny")}


def _selects_every_pod(selector: Any) -> Any:
    """True for `{}` (or empty matchLabels/matchExpressions), False for a narrower one, UNKNOWN if unknown."""
    if selector is UNKNOWN:
        return UNKNOWN
    if selector is None:
        return False  # the API server requires podSelector; an object without one isolates nothing
    match_labels, expressions = field(selector, "matchLabels"), field(selector, "matchExpressions")
    if UNKNOWN in (match_labels, expressions):
        return UNKNOWN
    return not keys(match_labels) and not list(items(expressions))


def default_deny_gaps(props: Any) -> list[str]:
    """Why a NetworkPolicy that selects every pod is not default-deny; empty when it is."""
    gaps = []
    types = field(props, "spec", "policyTypes")
    listed = [] if types is None else list(items(types))
    if types is UNKNOWN or UNKNOWN in listed:
        gaps.append("policyTypes unknown at preview")
    else:
        gaps += [f"policyTypes lacks {kind}" for kind in ("Ingress", "Egress") if kind not in listed]
    for direction in ("ingress", "egress"):
        rules = field(props, "spec", direction)
        if rules is UNKNOWN:
            gaps.append(f"{direction} unknown at preview")
        elif is_list(rules) and len(rules) > 0:
            gaps.append(f"{direction} has {len(rules)} allow rule(s)")
    return gaps


def cilium_denied_directions(props: Any) -> tuple[set[str], list[str]]:
    """The directions a Cilium policy puts all its endpoints in default deny without allowing anything, and why not others."""
    denied: set[str] = set()
    gaps: list[str] = []
    specs = field(props, "specs")
    rules = [field(props, "spec")] + ([UNKNOWN] if specs is UNKNOWN else list(items(specs)))
    for rule in rules:
        if rule is None:
            continue
        if rule is UNKNOWN:
            gaps.append("a rule unknown at preview")
            continue
        selects_all = _selects_every_pod(field(rule, "endpointSelector"))
        if selects_all is not True:
            if selects_all is UNKNOWN:
                gaps.append("endpointSelector unknown at preview")
            continue
        for direction, (allow, deny) in CILIUM_DIRECTIONS.items():
            switch = field(rule, "enableDefaultDeny", direction)
            allowed, refused = field(rule, allow), field(rule, deny)
            if UNKNOWN in (switch, allowed, refused) or UNKNOWN in list(items(allowed)):
                gaps.append(f"{direction} unknown at preview")
                continue
            on = switch is True or (switch is None and (allowed is not None or refused is not None))
            opened = [entry for entry in items(allowed) if keys(entry)]
            if opened:
                gaps.append(f"{allow} has {len(opened)} allow rule(s)")
            elif on:
                denied.add(direction)
    return denied, gaps


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    workloads: dict[Any, list] = {}
    cilium_denied: dict[Any, set[str]] = {}  # namespace (None: every namespace) -> directions denied
    namespaces: dict[str, Any] = {}
    near_misses: dict[str, list[str]] = {}
    isolated: set[str] = set()
    for resource in args.resources:
        if pod_template(resource.resource_type, resource.props) is not None:
            workloads.setdefault(effective_namespace(resource.props), []).append(resource)
        elif kind_of(resource.resource_type, "core") == "Namespace":
            namespaces[object_name(resource.props, resource.name)] = resource
        elif kind_of(resource.resource_type, "networking.k8s.io") == "NetworkPolicy":
            namespace = effective_namespace(resource.props)
            selects_all = _selects_every_pod(field(resource.props, "spec", "podSelector"))
            if namespace is UNKNOWN or selects_all is False:
                continue
            gaps = (["podSelector unknown at preview"] if selects_all is UNKNOWN else []) + \
                default_deny_gaps(resource.props)
            if gaps:
                near_misses.setdefault(namespace, []).append(
                    f"NetworkPolicy '{object_name(resource.props, resource.name)}': {', '.join(gaps)}")
            else:
                isolated.add(namespace)
        elif kind_of(resource.resource_type, CILIUM_GROUP) in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
            clusterwide = kind_of(resource.resource_type) == "CiliumClusterwideNetworkPolicy"
            namespace = None if clusterwide else effective_namespace(resource.props)
            if namespace is UNKNOWN:
                continue
            denied, gaps = cilium_denied_directions(resource.props)
            cilium_denied.setdefault(namespace, set()).update(denied)
            if gaps and not clusterwide:
                near_misses.setdefault(namespace, []).append(
                    f"{kind_of(resource.resource_type)} '{object_name(resource.props, resource.name)}': "
                    f"{', '.join(gaps)}")
    everywhere = cilium_denied.get(None, set())
    for namespace, denied in cilium_denied.items():
        if namespace is not None and denied | everywhere >= set(CILIUM_DIRECTIONS):
            isolated.add(namespace)

    for namespace, members in sorted(workloads.items(), key=lambda item: str(item[0])):
        if namespace is not UNKNOWN and (namespace in isolated or everywhere >= set(CILIUM_DIRECTIONS)):
            continue
        if namespace is UNKNOWN:
            shown, why, owner = "<unknown>", "; their namespace is unknown at preview", None
        else:
            shown, owner = namespace, namespaces.get(namespace)
            why = "".join(f"; {miss}" for miss in near_misses.get(namespace, []))
        names = ", ".join(f"{kind_of(member.resource_type)} '{object_name(member.props, member.name)}'"
                          for member in members)
        report_violation(f"Namespace '{shown}' must have {DEFAULT_DENY} for its workloads {names}{why}.",
                         (owner or members[0]).urn)


POLICY = StackValidationPolicy(
    name="namespace-default-deny",
    description="Every namespace holding a workload must have a NetworkPolicy (or Cilium policy) denying all "
                "ingress and egress by default.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

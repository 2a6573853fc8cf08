"""Every listener of a Gateway terminates TLS with a certificate.

The Gateway API counterpart of `ingress-tls`: each `spec.listeners[]` entry
of a `gateway.networking.k8s.io` Gateway must use protocol `HTTPS` (or `TLS`),
`tls.mode` `Terminate` (the API's default when unset) and name at least one
`tls.certificateRefs` entry. An `HTTP` listener serves plain text, and a
`Passthrough` one hands the encrypted stream to the backend, out of reach of
the platform's certificate and of the route policies. Advisory in staging,
mandatory in prod (see the stack's policy config).

Deliberately left out: what a certificateRef points at (a Secret of the same
namespace, or one a ReferenceGrant allows: the Gateway's status reports a bad
one), ports, and `allowedRoutes`. An unknown protocol, mode or reference list
is reported.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import kind_of, subject
from .resource_properties import UNKNOWN, describe, field, items

GATEWAY_GROUP = "gateway.networking.k8s.io"
TLS_PROTOCOLS = ("HTTPS", "TLS")
WHOLE_RULE = "must be HTTPS or TLS, terminating TLS with a certificate."


def listener_label(listener, index: int) -> str:
    """How messages name a listener: `listener 'https-forge'`, or `listener #0` when its name is not known."""
    name = field(listener, "name")
    return f"listener '{name}'" if isinstance(name, str) and name else f"listener #{index}"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, GATEWAY_GROUP) != "Gateway":
        return
    who = subject(args.resource_type, args.props, args.name)
    listeners = field(args.props, "spec", "listeners")
    if listeners is UNKNOWN:
        report_violation(f"{who} spec.listeners (unknown at preview) {WHOLE_RULE}")
        return
    for index, listener in enumerate(items(listeners)):
        if listener is UNKNOWN:
            report_violation(f"{who} spec.listeners[{index}] (unknown at preview) {WHOLE_RULE}")
            continue
        label = f"{who} {listener_label(listener, index)}"
        protocol = field(listener, "protocol")
        if protocol not in TLS_PROTOCOLS:
            report_violation(f"{label} protocol ({describe(protocol)}) must be HTTPS or TLS.")
            if protocol is not UNKNOWN:
                continue  # a plain-text listener has no TLS settings to check
        mode = field(listener, "tls", "mode")
        if mode not in (None, "Terminate"):
            report_violation(f"{label} tls.mode ({describe(mode)}) must be Terminate.")
        references = field(listener, "tls", "certificateRefs")
        if references is UNKNOWN or not list(items(references)):
            report_violation(f"{label} tls.certificateRefs ({describe(references)}) must name at least one "
                             "certificate.")


POLICY = ResourceValidationPolicy(
    name="gateway-listener-tls",
    description="Gateway listeners must be HTTPS or TLS, terminating TLS with a certificate.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

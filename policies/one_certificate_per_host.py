"""Each host is ordered by at most one certificate of the stack.

A host named by two certificates is ordered, renewed and rate-limited twice:
Let's Encrypt issues at most 5 certificates for the same set of names per
week, and an issuer annotation on several Ingresses of one host (one per
namespace, as subpath routing spreads a host over namespaces) has
cert-manager's ingress-shim order one certificate per namespace for it. The
program instead registers one `Certificate` listing every host
(`components/certificate.py`). This rule counts the stack's own Certificates
and the ones its annotations make cert-manager create
(`cert_manager_certificate.ordered_certificates()`): the Certificates first,
then annotated Ingresses and Gateways, in resource order; the second holder
of a host is reported, naming the first. An object whose annotations are
unknown at preview is counted as if annotated (it may order a certificate).

Deliberately left out: a lone annotated Ingress whose hosts no other
certificate names (one certificate per host, as asked), wildcard names
(`*.example.org` and `a.example.org` are different names to the ACME limits),
and names unknown at preview (they cannot be matched to a host).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .cert_manager_certificate import OrderedCertificate, ordered_certificates
from .resource_properties import UNKNOWN

REASON = "(one certificate per host)"


def _message(duplicate: OrderedCertificate, host: str, first: OrderedCertificate) -> str:
    already = f"host '{host}', which {first.describe()} lists already {REASON}."
    if duplicate.annotation is None:
        return f"{duplicate.certificate_name} must not list {already}"
    if duplicate.annotation is UNKNOWN:
        return (f"{duplicate.owner_subject} metadata.annotations (unknown at preview) must be known without an issuer "
                f"annotation: one would make cert-manager's {duplicate.certificate_name} list {already}")
    return (f"{duplicate.owner_subject} annotation '{duplicate.annotation}' must be removed: it makes cert-manager's "
            f"{duplicate.certificate_name} list {already}")


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    first_by_host: dict[str, OrderedCertificate] = {}
    for certificate in ordered_certificates(args.resources):
        for host in dict.fromkeys(certificate.hosts):  # a name listed twice by one certificate is one name
            first = first_by_host.setdefault(host, certificate)
            if first.identity != certificate.identity:
                report_violation(_message(certificate, host, first), certificate.owner.urn)


POLICY = StackValidationPolicy(
    name="one-certificate-per-host",
    description="A host must be listed by at most one certificate of the stack, issuer annotations included.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

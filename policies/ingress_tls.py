"""An Ingress terminates TLS for every host it routes, with a certificate Secret.

Each rule host must be covered by a `spec.tls` entry (exactly, or by a
`*.domain` wildcard one label deep) that names the `secretName` cert-manager
fills. Advisory in staging, mandatory in prod (see the stack's policy config).
Deliberately left out: the cert-manager issuer annotation (a certificate can
also come from elsewhere) and rules without a host (routed by the default
server, which has its own certificate).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import kind_of, subject
from .resource_properties import UNKNOWN, describe, field, items


def _covers(tls_host, host: str) -> bool:
    if tls_host is UNKNOWN:
        return False
    if tls_host == host:
        return True
    return (isinstance(tls_host, str) and tls_host.startswith("*.")
            and host.split(".", 1)[-1] == tls_host[2:] and "." in host)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "networking.k8s.io") != "Ingress":
        return
    who = subject(args.resource_type, args.props, args.name)
    tls = field(args.props, "spec", "tls")
    entries = list(items(tls))
    if tls is UNKNOWN or not entries:
        report_violation(f"{who} spec.tls ({describe(tls)}) must list a certificate for every host.")
        return
    tls_hosts = []
    for index, entry in enumerate(entries):
        secret_name = field(entry, "secretName")
        if not (isinstance(secret_name, str) and secret_name):
            report_violation(f"{who} spec.tls[{index}].secretName ({describe(secret_name)}) must name "
                             "the certificate Secret.")
        tls_hosts.extend(items(field(entry, "hosts")))
    for index, rule in enumerate(items(field(args.props, "spec", "rules"))):
        host = field(rule, "host")
        if host is None:
            continue
        # An unknown host, or one covered only by unknown TLS hosts, cannot be shown to be covered.
        if host is UNKNOWN or not any(_covers(tls_host, host) for tls_host in tls_hosts):
            report_violation(f"{who} spec.rules[{index}].host ({describe(host)}) must be listed in spec.tls[].hosts.")


POLICY = ResourceValidationPolicy(
    name="ingress-tls",
    description="Ingresses must terminate TLS for every host they route.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

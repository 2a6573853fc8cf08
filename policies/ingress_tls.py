"""An Ingress terminates TLS for every host it routes, with a certificate it names or the controller's default one.

Each rule host must be covered by a `spec.tls` entry (exactly, or by a
`*.domain` wildcard one label deep). An entry with a `secretName` names the
certificate Secret. An entry without one makes ingress-nginx serve its
`--default-ssl-certificate`, and that is accepted only for hosts that a
cert-manager `Certificate` of the same stack lists in `spec.dnsNames`: the
environment's one certificate, which the controller is configured to serve
(`components/certificate.py`). A stack rule for that reason: it reads the
Certificates beside the Ingress. Advisory in staging, mandatory in prod (see
the stack's policy config).

Deliberately left out: which Certificate the controller's flag names (the
flag is not a resource of the stack; any Certificate of the stack counts),
issuer annotations (`one-certificate-per-host`), and rules without a host
(routed by the default server, which has its own certificate). An unknown
host, TLS host or `secretName` is never shown covered, so it is reported.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .cert_manager_certificate import certificate_dns_names, covers
from .kubernetes_resource import kind_of, subject
from .resource_properties import UNKNOWN, describe, field, items

DEFAULT_CERTIFICATE = ("must name the certificate Secret, or be listed by a cert-manager Certificate of the stack "
                       "(the controller's default certificate).")


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    certificate_names = certificate_dns_names(args.resources)
    for resource in args.resources:
        if kind_of(resource.resource_type, "networking.k8s.io") != "Ingress":
            continue
        who = subject(resource.resource_type, resource.props, resource.name)
        tls = field(resource.props, "spec", "tls")
        entries = list(items(tls))
        if tls is UNKNOWN or not entries:
            report_violation(f"{who} spec.tls ({describe(tls)}) must list a certificate for every host.", resource.urn)
            continue
        tls_hosts = []
        for index, entry in enumerate(entries):
            secret_name = field(entry, "secretName")
            names_secret = isinstance(secret_name, str) and bool(secret_name)
            for host_index, host in enumerate(items(field(entry, "hosts"))):
                tls_hosts.append(host)
                if names_secret or any(covers(name, host) for name in certificate_names):
                    continue
                report_violation(f"{who} spec.tls[{index}].hosts[{host_index}] ({describe(host)}, secretName "
                                 f"{describe(secret_name)}) {DEFAULT_CERTIFICATE}", resource.urn)
        for index, rule in enumerate(items(field(resource.props, "spec", "rules"))):
            host = field(rule, "host")
            if host is None:
                continue
            # An unknown host, or one covered only by unknown TLS hosts, cannot be shown to be covered.
            if host is UNKNOWN or not any(covers(tls_host, host) for tls_host in tls_hosts):
                report_violation(f"{who} spec.rules[{index}].host ({describe(host)}) must be listed in "
                                 "spec.tls[].hosts.", resource.urn)


POLICY = StackValidationPolicy(
    name="ingress-tls",
    description="Ingresses must terminate TLS for every host they route, with a named Secret or the stack's Certificate.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

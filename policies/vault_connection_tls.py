"""VSO reaches OpenBao/Vault over verified TLS: an https:// address, verification on, the server's CA given.

Every token VSO gets and every secret value it syncs crosses the pod network
on this connection. A `secrets.hashicorp.com/v1beta1 VaultConnection` must
therefore have an `https://` `spec.address`, `spec.skipTLSVerify` false or
unset, and a `spec.caCertSecretRef` naming the Secret with the CA that signed
the server's certificate (an in-cluster OpenBao is signed by a private CA that
no system trust store holds; without the reference VSO cannot verify it). The
program's side of the same rule is its config checks in prod
(stack_checks/stack_rules.py: `vault.address` must be https://,
`vault.skipTlsVerify` is refused, `vault.caCertFile` is required); this checks
what was rendered, third-party VaultConnections included. Whether the named Secret exists and
holds a certificate is left to VSO, which refuses the connection otherwise
(`no-literal-secret-manifest` checks such a Secret is a public certificate).
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import kind_of, subject
from .resource_properties import describe, field


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "secrets.hashicorp.com") != "VaultConnection":
        return
    who = subject(args.resource_type, args.props, args.name)
    address = field(args.props, "spec", "address")
    if not (isinstance(address, str) and address.lower().startswith("https://")):
        report_violation(f"{who} spec.address ({describe(address)}) must be an https:// URL.")
    skip = field(args.props, "spec", "skipTLSVerify")
    if skip is not None and skip is not False:
        report_violation(f"{who} spec.skipTLSVerify ({describe(skip)}) must be false or unset.")
    ca_secret = field(args.props, "spec", "caCertSecretRef")
    if not (isinstance(ca_secret, str) and ca_secret):
        report_violation(f"{who} spec.caCertSecretRef ({describe(ca_secret)}) must name the Secret holding "
                         "the server's CA certificate (ca.crt).")


POLICY = ResourceValidationPolicy(
    name="vault-connection-tls",
    description="VaultConnections must use https with TLS verification and the server's CA certificate.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

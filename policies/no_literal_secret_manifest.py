"""A Secret object carries no literal values: secrets are synced into the cluster, never written in a manifest.

A `v1 Secret` with `data` or `stringData` puts its values in the program or
the chart, in the Pulumi state, in the rendered YAML and in every diff; the
platform's Secrets are created by VSO (VaultStaticSecret) and ESO
(ExternalSecret) from OpenBao and Key Vault instead. A Secret with no values
(a `kubernetes.io/service-account-token` Secret the token controller fills,
an empty Opaque Secret an operator fills) is fine; a key whose value is the
empty string holds nothing. A value unknown at preview counts as literal: it
still lands in the state.

One exception, because VSO reads a VaultConnection's CA only from a Secret
(`caCertSecretRef`, see components/vault_workload_access.py): a Secret
annotated `platform/public-certificate: "true"` whose only key is `ca.crt`,
holding nothing but PEM `CERTIFICATE` blocks (base64 in `data`, plain in
`stringData`). A private key, any other PEM block, any other text or any other
key voids the exception. Deliberately left out: Secrets in env values and
ConfigMaps (`no-literal-secret-values`, a name heuristic; here the kind alone
makes a value secret).
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Optional

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import kind_of, subject
from .resource_properties import UNKNOWN, field, keys

PUBLIC_CERTIFICATE_ANNOTATION = "platform/public-certificate"
CA_KEY = "ca.crt"
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*[A-Za-z0-9+/=\s]*?-----END \1-----")


def certificate_problem(pem: str) -> Optional[str]:
    """Why `pem` is not public certificates only (PEM CERTIFICATE blocks and whitespace); None when it is."""
    if "PRIVATE KEY" in pem:
        return "holds a private key"
    labels = [match.group(1) for match in _PEM_BLOCK.finditer(pem)]
    if not labels:
        return "holds no PEM CERTIFICATE block"
    others = sorted({label for label in labels if label != "CERTIFICATE"})
    if others:
        return f"holds PEM {', '.join(others)} blocks"
    if _PEM_BLOCK.sub("", pem).strip():
        return "holds text outside its PEM CERTIFICATE blocks"
    return None


def _decoded(section: str, value: Any) -> Any:
    """The text of a value: `stringData` as is, `data` from base64; None if it is not text."""
    if value is UNKNOWN or not isinstance(value, str) or section == "stringData":
        return value if value is UNKNOWN or isinstance(value, str) else None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kind_of(args.resource_type, "core") != "Secret":
        return
    who = subject(args.resource_type, args.props, args.name)
    literal: list[tuple[str, str, Any]] = []  # (section, key, value)
    for section in ("data", "stringData"):
        values = field(args.props, section)
        if values is UNKNOWN:
            literal.append((section, "", UNKNOWN))
        for key in keys(values):
            value = field(values, key)
            if value is UNKNOWN or (value is not None and value != ""):
                literal.append((section, key, value))
    if not literal:
        return
    shown = ", ".join(f"{section} (unknown at preview)" if not key else
                      f"{section}.{key}{' (unknown at preview)' if value is UNKNOWN else ''}"
                      for section, key, value in literal)
    if field(args.props, "metadata", "annotations", PUBLIC_CERTIFICATE_ANNOTATION) != "true":
        report_violation(f"{who} must not hold literal values ({shown}): they would sit in the program, the "
                         "Pulumi state and the manifest; sync it from OpenBao or Key Vault (VaultStaticSecret, "
                         "ExternalSecret) instead.")
        return
    problems = []
    for section, key, value in literal:
        text = _decoded(section, value) if key == CA_KEY else None
        if not key:
            problems.append(f"{section} is unknown at preview")
        elif key != CA_KEY:
            problems.append(f"{section}.{key} is not {CA_KEY}")
        elif text is UNKNOWN:
            problems.append(f"{section}.{key} is unknown at preview")
        elif text is None:
            problems.append(f"{section}.{key} is not {'base64 of ' if section == 'data' else ''}PEM text")
        else:
            problem = certificate_problem(text)
            if problem:
                problems.append(f"{section}.{key} {problem}")
    if problems:
        report_violation(f"{who}, annotated {PUBLIC_CERTIFICATE_ANNOTATION}, must hold only {CA_KEY} with PEM "
                         f"CERTIFICATE blocks ({'; '.join(problems)}).")


POLICY = ResourceValidationPolicy(
    name="no-literal-secret-manifest",
    description="Secrets must not carry literal data or stringData, public CA certificates excepted.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

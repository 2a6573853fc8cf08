"""Every container image is pinned by digest: a tag can be moved, a digest names one image.

The release flow promotes digests from staging to prod; a tag in a workload
would let a registry push change what prod runs without a commit. A tag may
stay in front of the digest for readability (`repo:1.4.0@sha256:...`).
A digest is one of the algorithms the OCI image spec registers (descriptor.md,
"Registered algorithms"), with the encoding the spec fixes for it: `sha256:`
and 64 lower-case hex digits, `sha512:` and 128. The spec's grammar admits
other algorithms (`multihash+base58:...`) as "valid but unsupported"; a
runtime cannot verify those, so they do not pin anything and are refused.
Deliberately left out: which registries are allowed (the program's release
config checks its allowlist before anything is registered; the program's own
releases use sha256 only, `components/release_digest.py`).
"""
from __future__ import annotations

import re

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import containers, pod_template, subject
from .resource_properties import describe, field

# Registered algorithm -> hex digits of its encoded form (OCI image spec, descriptor.md).
REGISTERED_DIGESTS = {"sha256": 64, "sha512": 128}
DIGEST_REFERENCE = re.compile(r"^[^@\s]+@(?:" + "|".join(
    f"{algorithm}:[0-9a-f]{{{length}}}" for algorithm, length in REGISTERED_DIGESTS.items()) + r")$")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    _, pod_spec = template
    who = subject(args.resource_type, args.props, args.name)
    for container in containers(pod_spec):
        image = field(container.value, "image")
        if not (isinstance(image, str) and DIGEST_REFERENCE.match(image)):
            report_violation(f"{who} {container.label} image ({describe(image)}) must be pinned by digest "
                             "(registry/repository@sha256:<64 hex> or @sha512:<128 hex>).")


POLICY = ResourceValidationPolicy(
    name="image-pinned-by-digest",
    description="Container images must be pinned by digest, not by tag alone.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

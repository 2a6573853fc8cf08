"""Prod may only run digests that staging runs: checked against staging's own stack outputs.

With `release.promotionGate.stagingStack` set, the prod program reads the
staging stack's exported `releaseDigests` through a StackReference and fails
the preview if any component prod would deploy has a digest staging does not
run, naming the component and both digests. This is the in-engine half of the
gate; `stackctl promote --verify-against` is the half that runs before the
pull request exists.
"""
from __future__ import annotations

from typing import Any, Optional

import pulumi

RELEASE_DIGESTS_OUTPUT = "releaseDigests"


def provenance_mismatches(prod_digests: dict[str, str], staging_digests: Optional[dict[str, Any]],
                          staging_stack: str) -> list[str]:
    if not isinstance(staging_digests, dict):
        return [f"release.promotionGate.stagingStack: stack {staging_stack!r} exports no {RELEASE_DIGESTS_OUTPUT} "
                "(deploy staging first; prod may only run what staging runs)"]
    problems = []
    for component, digest in sorted(prod_digests.items()):
        running = staging_digests.get(component)
        if running != digest:
            problems.append(
                f"release.images.{component}.image: prod would deploy {digest} but staging ({staging_stack}) runs "
                f"{running or 'nothing for this component'} (promote with `stackctl promote --from staging --to prod`)"
            )
    return problems


class ProvenanceGateError(pulumi.RunError):
    """Raised inside the preview; the engine prints it without a traceback."""


def enforce_provenance_gate(staging_stack: str, prod_digests: dict[str, str]) -> pulumi.Output[None]:
    reference = pulumi.StackReference(staging_stack)

    def check(staging_digests: Any) -> None:
        problems = provenance_mismatches(prod_digests, staging_digests, staging_stack)
        if problems:
            raise ProvenanceGateError("provenance gate failed:\n  " + "\n  ".join(problems))

    return reference.get_output(RELEASE_DIGESTS_OUTPUT).apply(check)

"""Provenance: prod runs only digests the release ledger (`releases/`) says staging ran."""
from __future__ import annotations

from typing import Any

from config_models.release_ledger import ReleaseLedger, retained_images


def provenance_problems(prod_images: dict[str, str], ledger: ReleaseLedger, retained: int,
                        overrides: dict[str, Any], ledger_name: str) -> list[str]:
    """Each component whose image staging never ran (within retention) and no override admits."""
    problems = []
    for component, image in sorted(prod_images.items()):
        if image in retained_images(ledger, component, retained):
            continue
        override = overrides.get(component)
        if override is not None and override.image == image:
            continue
        older = any(entry.component == component and entry.image == image for entry in ledger.releases)
        why = (f"staging ran it, but not among the last {retained} releases of {component!r} in {ledger_name}"
               if older else f"staging never ran it ({ledger_name} has no entry for it)")
        problems.append(
            f"release.images.{component}.image: {image!r}: {why} (promote it from staging with `stackctl promote`; "
            f"for an emergency, add release.promotionGate.overrides.{component}: {{image: <this image>, "
            "reason: <why>})")
    return problems

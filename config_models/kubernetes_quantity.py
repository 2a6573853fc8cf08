"""Kubernetes resource quantities (`1Gi`, `250m`, `0.5`), parsed exactly.

Only the canonical quantity grammar of the Kubernetes API is accepted, so a
value that the API server would reject (`1GB`, `lots`) is refused while the
config is validated, not at apply time. Values are converted with `Fraction`
so that sums of requests (the node-pool headroom check) are exact.
"""
from __future__ import annotations

from fractions import Fraction

from platform_facts.kubernetes_quantity import format_millicores as _format_cores
from platform_facts.kubernetes_quantity import parse_quantity as _parse_quantity_or_none

ACCEPTED_FORMS = "a Kubernetes quantity such as 1Gi, 512Mi, 100m or 0.5"


def parse_quantity(text: str) -> Fraction:
    """Return the value of a Kubernetes quantity written as text; raise ValueError naming the accepted forms."""
    value = _parse_quantity_or_none(text) if isinstance(text, str) else None
    if value is None:
        raise ValueError(f"{text!r} is not {ACCEPTED_FORMS}")
    return value


def cpu_millicores(text: str) -> Fraction:
    return parse_quantity(text) * 1000


def memory_bytes(text: str) -> Fraction:
    return parse_quantity(text)


def format_millicores(millicores: Fraction) -> str:
    """`2500` -> `2500m` (the pack's formatter takes cores)."""
    return _format_cores(millicores / 1000)

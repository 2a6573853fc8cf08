"""Kubernetes resource quantities (`250m`, `1Gi`, `0.5`), parsed exactly for sums.

The one parser of the program (`components/kubernetes_quantity.py` wraps it
with config-time errors) and of the policy pack, so both agree on every
value. Numbers are accepted too, because the engine may send `cpu: 1` as the
JSON number 1.0.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Optional

_SUFFIX_MULTIPLIERS: dict[str, Fraction] = {
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30),
    "Ti": Fraction(2**40), "Pi": Fraction(2**50), "Ei": Fraction(2**60),
    "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 10**3), "": Fraction(1),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
    "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE](?P<exponent>[+-]?[0-9]+))?$"
)


def parse_quantity(value: Any) -> Optional[Fraction]:
    """The quantity's value, or None if it is not a quantity."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Fraction(value)
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if match is None:
        return None
    number = Fraction(match["number"])
    if match["exponent"] is not None:
        return number * Fraction(10) ** int(match["exponent"])
    return number * _SUFFIX_MULTIPLIERS[match["suffix"] or ""]


def format_millicores(cores: Fraction) -> str:
    return f"{float(cores) * 1000:.0f}m"


def format_mebibytes(byte_count: Fraction) -> str:
    return f"{float(byte_count) / 2**20:.0f}Mi"

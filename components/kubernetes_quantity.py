"""Kubernetes resource quantities (`1Gi`, `250m`, `0.5`), parsed exactly.

Only the canonical quantity grammar of the Kubernetes API is accepted, so a
value that the API server would reject (`1GB`, `lots`) is refused while the
config is validated, not at apply time. Values are converted with `Fraction`
so that sums of requests (the node-pool headroom check) are exact.
"""
from __future__ import annotations

import re
from fractions import Fraction

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
ACCEPTED_FORMS = "a Kubernetes quantity such as 1Gi, 512Mi, 100m or 0.5"


def parse_quantity(text: str) -> Fraction:
    """Return the value of a Kubernetes quantity; raise ValueError naming the accepted forms."""
    match = _QUANTITY.match(str(text).strip()) if isinstance(text, (str, int)) else None
    if match is None or str(text).strip() != str(text):
        raise ValueError(f"{text!r} is not {ACCEPTED_FORMS}")
    value = Fraction(match["number"])
    if match["exponent"] is not None:
        return value * Fraction(10) ** int(match["exponent"])
    return value * _SUFFIX_MULTIPLIERS[match["suffix"] or ""]


def cpu_millicores(text: str) -> Fraction:
    return parse_quantity(text) * 1000


def memory_bytes(text: str) -> Fraction:
    return parse_quantity(text)


def format_mebibytes(value: Fraction) -> str:
    return f"{float(value) / 2**20:.0f}Mi"


def format_millicores(value: Fraction) -> str:
    return f"{float(value):.0f}m"

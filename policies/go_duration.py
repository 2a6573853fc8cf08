"""Go durations (`60s`, `1h30m`), the format of VSO's refreshAfter and ESO's refreshInterval."""
from __future__ import annotations

import re
from typing import Any, Optional

_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(value: Any) -> Optional[float]:
    """Seconds in a Go duration string; None if it is not one. `0` alone is Go's zero duration."""
    if not isinstance(value, str):
        return None
    if value == "0":
        return 0.0
    position, total = 0, 0.0
    while position < len(value):
        match = _PART.match(value, position)
        if match is None:
            return None
        total += float(match[1]) * _UNIT_SECONDS[match[2]]
        position = match.end()
    return total if value else None

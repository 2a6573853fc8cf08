"""PodDisruptionBudget arithmetic, as the disruption controller does it: how many pods a budget lets go.

A budget sets `minAvailable` or `maxUnavailable`, each a count or a
percentage; a budget that sets neither means `minAvailable: 1` (the API
server's default). Percentages are rounded up against the pods the budget
selects (the controller's `GetScaledValueFromIntOrPercent(..., roundUp=true)`).
A budget "blocks" when it lets no healthy pod be evicted (every node drain
then waits for ever) and "empties" when it keeps no pod (a drain may take
them all). Shared by `replicated-deployment-availability` and
`pod-disruption-budget-allows-eviction`.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Optional

from .resource_properties import UNKNOWN


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def share(value: Any) -> Any:
    """A budget number as ('count', n) or ('percent', p); UNKNOWN when unknown at preview or unreadable."""
    if is_number(value):
        return ("count", Fraction(value))
    if isinstance(value, str) and value.endswith("%"):
        try:
            return ("percent", Fraction(value[:-1]))
        except ValueError:
            return UNKNOWN
    return UNKNOWN


def number_fault(value: Any, is_minimum: bool, pods: Optional[int]) -> Any:
    """What one budget number does to `pods` pods: 'blocks' (no eviction), 'empties' (no pod kept), None, UNKNOWN.

    None also when the answer depends on a pod count that is not established.
    """
    parsed = share(value)
    if parsed is UNKNOWN:
        return UNKNOWN
    unit, amount = parsed
    if unit == "percent":
        # 0% and 100% mean the same for every count; anything between needs the count
        if amount <= 0:
            return "empties" if is_minimum else "blocks"
        if amount >= 100:
            return "blocks" if is_minimum else "empties"
        if pods is None:
            return None
        amount = Fraction(math.ceil(pods * amount / 100))  # rounded up, as the disruption controller does
    rest = None if pods is None else pods - amount
    kept, evictable = (amount, rest) if is_minimum else (rest, amount)
    if evictable is not None and evictable <= 0:
        return "blocks"
    if kept is not None and kept <= 0:
        return "empties"
    return None


def budget_fault(min_available: Any, max_unavailable: Any, pods: Optional[int]) -> Any:
    """The worst fault of a budget's numbers: 'blocks', 'empties', UNKNOWN, or None."""
    if min_available is None and max_unavailable is None:
        min_available = 1  # the API server's default for a budget that sets neither
    faults = [number_fault(value, is_minimum, pods)
              for value, is_minimum in ((min_available, True), (max_unavailable, False)) if value is not None]
    return next((fault for fault in ("blocks", "empties", UNKNOWN) if fault in faults), None)

"""CronJob schedules, checked with the grammar the Kubernetes API server uses, before anything is applied.

The API server parses `spec.schedule` with robfig/cron's standard parser:
five fields (minute, hour, day of month, month, day of week), each `*`, `?`
(day fields only), a number, a name (JAN-DEC, SUN-SAT), a range `a-b`, any of
them with a step `/n`, and comma lists of those; or one of the descriptors
below. A time zone belongs in `timeZone`, not in the schedule (the API server
refuses `TZ=` and `CRON_TZ=` prefixes). `@every` is refused here: its period
restarts with the controller, which is not a schedule anyone can read.
"""
from __future__ import annotations

import re

DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_MONTHS = {name: index for index, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DAYS = {name: index for index, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
# (name, low, high, names)
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
_TERM = re.compile(r"^(?P<range>\*|\?|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[0-9]+))?$")
EXAMPLE = "'*/15 * * * *', '0 3 * * SUN' or '@daily'"


def _value(text: str, field: str, low: int, high: int, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"{field} {text!r} is not a number{' or a name' if names else ''}")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{field} {value} is outside {low}-{high}")
    return value


def check_cron_schedule(schedule: str) -> str:
    """Return the schedule if the API server would accept it; raise ValueError saying what is wrong."""
    text = schedule.strip()
    if text.upper().startswith(("TZ=", "CRON_TZ=")):
        raise ValueError(f"{schedule!r} carries a time zone; put it in timeZone (e.g. Europe/Paris) instead")
    if text.startswith("@"):
        if text.lower() in DESCRIPTORS:
            return schedule
        raise ValueError(f"{schedule!r} is not a schedule: descriptors are {sorted(DESCRIPTORS)} ({EXAMPLE})")
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"{schedule!r} has {len(fields)} fields; a schedule has 5: minute hour day-of-month "
                         f"month day-of-week ({EXAMPLE})")
    for raw, (field, low, high, names) in zip(fields, _FIELDS):
        for term in raw.split(","):
            match = _TERM.match(term)
            if match is None:
                raise ValueError(f"{schedule!r}: {field} {term!r} is not *, a value, a range a-b or a step /n "
                                 f"({EXAMPLE})")
            part, step = match.group("range"), match.group("step")
            if part == "?" and field not in ("day of month", "day of week"):
                raise ValueError(f"{schedule!r}: '?' is allowed only in the day fields, not in {field}")
            if step is not None and int(step) == 0:
                raise ValueError(f"{schedule!r}: {field} step /0 never advances")
            if part in ("*", "?"):
                continue
            try:
                start_text, _, end_text = part.partition("-")
                start = _value(start_text, field, low, high, names)
                end = _value(end_text, field, low, high, names) if end_text else start
            except ValueError as error:
                raise ValueError(f"{schedule!r}: {error} ({EXAMPLE})") from None
            if end < start:
                raise ValueError(f"{schedule!r}: {field} range {part!r} runs backwards")
    return schedule

"""A stack's outputs and update history, read from its Pulumi state through the Automation API.

`stackctl promote` and `stackctl verify` need what `pulumi stack output
--json` and `pulumi stack history --json` print. With a pulumi CLI on PATH
and the backend logged in, `--read-state` reads them here through
`pulumi.automation` (LocalWorkspace over the project directory; no program
runs, so no language host is needed) instead of asking for saved files. The
results are shaped exactly like the CLI's JSON, so the gates read one format;
CI may still pass the files (`--verify-against`, `--history`).

Deliberately left out: choosing or logging in to a backend (the environment's
PULUMI_BACKEND_URL decides), and paging through more than the newest
`HISTORY_PAGE_SIZE` updates (the gates read only the newest one).
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from stackctl.errors import BadInput

HISTORY_PAGE_SIZE = 20


def _time(moment: Any) -> Any:
    if isinstance(moment, datetime):
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return moment


def history_as_cli_json(summaries: list[Any]) -> list[dict[str, Any]]:
    """`Stack.history()`'s UpdateSummary objects as the dicts `pulumi stack history --json` prints."""
    entries = []
    for summary in summaries:
        entry = {"kind": summary.kind, "startTime": _time(summary.start_time), "result": summary.result,
                 "message": summary.message}
        if summary.end_time is not None:
            entry["endTime"] = _time(summary.end_time)
        if summary.version is not None:
            entry["version"] = summary.version
        entries.append(entry)
    return entries


def outputs_as_cli_json(outputs: dict[str, Any]) -> dict[str, Any]:
    """`Stack.outputs()` as `pulumi stack output --json` prints it: secrets masked, as the CLI masks them."""
    return {name: "[secret]" if output.secret else output.value for name, output in outputs.items()}


def read_stack_state(stack: str, root: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(outputs, history) of `stack`, through the Automation API. Raises BadInput when it cannot."""
    if shutil.which("pulumi") is None:
        raise BadInput("--read-state", stack, "needs the pulumi CLI on PATH (docs/engine.md); without it pass "
                       "--verify-against and --history, files from `pulumi stack output --json` and "
                       "`pulumi stack history --json`")
    from pulumi import automation

    try:
        workspace_stack = automation.select_stack(stack_name=stack, work_dir=str(root))
        outputs = outputs_as_cli_json(workspace_stack.outputs())
        history = history_as_cli_json(workspace_stack.history(page_size=HISTORY_PAGE_SIZE, page=1,
                                                              show_secrets=False))
    except automation.errors.CommandError as error:
        first = next((line for line in str(error).splitlines() if "error" in line.lower()), str(error).splitlines()[0])
        raise BadInput("--read-state", stack, f"the pulumi CLI could not read the stack ({first.strip()}); "
                       "check `pulumi login` / PULUMI_BACKEND_URL and the stack name") from None
    return outputs, history


def save_stack_state(stack: str, root: Path, directory: Path) -> tuple[Path, Path]:
    """Read the state and write it as the two JSON files the gates take; return (outputs, history) paths."""
    outputs, history = read_stack_state(stack, root)
    outputs_file, history_file = directory / f"{stack}-outputs.json", directory / f"{stack}-history.json"
    outputs_file.write_text(json.dumps(outputs, indent=2), encoding="utf-8")
    history_file.write_text(json.dumps(history, indent=2), encoding="utf-8")
    return outputs_file, history_file

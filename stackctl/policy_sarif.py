"""`stackctl policy --output sarif`: the pack's findings as a SARIF 2.1.0 log, for GitHub code scanning.

One run, one rule per policy of the pack (the policy name is the rule id, its
description the rule's text, its configured enforcement level the rule's
default level), one result per violation. Levels: mandatory -> `error`,
advisory -> `warning`, disabled -> `none` (rules only: a disabled policy
reports nothing). Each result is located at the file and line its object
starts on (`--manifests`), or at the stack file (STACK: the program built the
resource, the stack file is what a change edits); the resource itself is the
result's logical location, by name and URN. Paths under the current directory
are written relative to it (what code scanning resolves against the checkout),
others as file:// URIs.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVELS = {"mandatory": "error", "remediate": "error", "advisory": "warning", "disabled": "none"}


def artifact_uri(path: Path, cwd: Path | None = None) -> str:
    absolute = Path(os.path.abspath(path))
    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    if absolute.is_relative_to(cwd):
        return absolute.relative_to(cwd).as_posix()
    return absolute.as_uri()


def _location(file: Path, line: int, violation) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(file)}}
    if line:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if violation.resource:
        logical = {"name": violation.resource, "kind": "resource"}
        if violation.urn:
            logical["fullyQualifiedName"] = violation.urn
        location["logicalLocations"] = [logical]
    return location


def sarif_log(violations: Sequence, config: Mapping[str, Any], locations: Mapping[str, tuple[Path, int]],
              fallback_location: tuple[Path, int]) -> dict[str, Any]:
    """The SARIF log of `violations` (offline.Violation), every pack policy a rule, levels as `config` sets them."""
    from policies import offline
    from stackctl.versions import installed_versions

    policies = sorted(offline.pack_policies(), key=lambda policy: policy.name)
    settings = offline.reconcile_config(policies, config)
    rule_index = {policy.name: index for index, policy in enumerate(policies)}
    rules = [{
        "id": policy.name,
        "name": "".join(part.capitalize() for part in policy.name.split("-")),
        "shortDescription": {"text": policy.description},
        "fullDescription": {"text": policy.description},
        "defaultConfiguration": {"level": _LEVELS[settings[policy.name].level.value]},
    } for policy in policies]
    results = []
    for violation in violations:
        file, line = locations.get(violation.urn, fallback_location)
        result = {
            "ruleId": violation.policy,
            "level": _LEVELS.get(violation.level, "warning"),
            "message": {"text": f"{violation.resource}: {violation.message}" if violation.resource
                        else violation.message},
            "locations": [_location(file, line, violation)],
        }
        if violation.policy in rule_index:
            result["ruleIndex"] = rule_index[violation.policy]
        results.append(result)
    version = dict((name, installed) for name, installed, _ in installed_versions()).get("stackctl") or "0"
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "stackctl policy",
                "version": version if version[:1].isdigit() else "0",
                "informationUri": "https://www.pulumi.com/docs/iac/crossguard/",
                "rules": rules,
            }},
            "results": results,
        }],
    }

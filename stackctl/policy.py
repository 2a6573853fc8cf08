"""`stackctl policy`: run the policy pack without the Pulumi engine.

Two inputs, the same policy objects as `pulumi preview --policy-pack policies`:

* `stackctl policy STACK` runs the program under Pulumi's mock runtime
  (`stackctl.render.collect_resources`) and evaluates every resource it
  registers, with its inputs and resource options, under
  `policies/config/STACK.json` (or `--config`);
* `stackctl policy --manifests PATH` evaluates the Kubernetes YAML or JSON in
  PATH, a file or a directory (e.g. a `stackctl render` output; what it reads
  and skips: stackctl/manifest_scan.py). YAML has no resource options, so
  `persistent-volume-claim-protected` is disabled there.

Prints one line per violation (policy, resource, message, level) and exits 1
if any is mandatory, 2 on bad input (config, stack, a file that does not
parse, nothing to check). `--output json` prints them as one JSON object
(stackctl/output_schemas/policy.schema.json); `--output sarif` as a SARIF
2.1.0 log for code scanning: one rule per policy (its name is the rule id),
mandatory -> `error`, advisory -> `warning`, each result located at the file
and line of the object with `--manifests`, at the stack file for STACK.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIRECTORY = PROJECT_ROOT / "policies" / "config"
NO_RESOURCE_OPTIONS_IN_YAML = {"persistent-volume-claim-protected": "disabled"}


def add_parser(subparsers) -> None:
    from stackctl.errors import stack_name

    parser = subparsers.add_parser("policy", help="evaluate the policy pack offline (stack under mocks, or YAML)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", nargs="?", type=stack_name, help="stack to evaluate under mocks: staging or prod")
    parser.add_argument("--manifests", type=Path, metavar="PATH",
                        help="evaluate the Kubernetes YAML/JSON in PATH (a file, or a directory searched "
                             "recursively) instead")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="policy config (default: policies/config/STACK.json; none for --manifests without STACK)")


def resources_from_registrations(registered: Iterable[Any]) -> list:
    """Adapt `stackctl.render.RegisteredResource`s (type, name, urn, inputs, protect, ...) to policy inputs."""
    from policies.offline import Resource, ResourceOptions

    return [
        Resource(
            resource_type=item.type, name=item.name, props=dict(item.inputs), urn=item.urn,
            opts=ResourceOptions(
                protect=bool(item.protect), retain_on_delete=bool(getattr(item, "retain_on_delete", False)),
                delete_before_replace=getattr(item, "delete_before_replace", None),
                parent=getattr(item, "parent", None) or None,
            ),
        )
        for item in registered
    ]


def _stack_resources(stack: str, root: Optional[Path] = None) -> list:
    from stackctl.render import collect_resources  # late: the program and the Pulumi SDK

    return resources_from_registrations(collect_resources(stack, root=root).resources)


def _load_config(path: Optional[Path]) -> dict[str, Any]:
    from stackctl.errors import BadInput

    if path is None:
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput("--config", path, f"cannot be read ({error.strerror}); give a policy config file "
                       "such as policies/config/staging.json") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f"line {error.lineno}: {error.msg}" if isinstance(error, json.JSONDecodeError) else str(error)
        raise BadInput("--config", path, f"is not valid JSON ({where}); a policy config is a JSON object "
                       "of policy name -> enforcement level or settings") from None
    if not isinstance(config, dict):
        raise BadInput("--config", path, f"holds a JSON {type(config).__name__}; a policy config is a JSON "
                       "object of policy name -> enforcement level or settings")
    return config


def _manifest_resources(path: Path) -> tuple[list, dict[str, tuple[Path, int]]]:
    """The resources in PATH, and where each starts (file, line), by the URN it is evaluated under."""
    from policies import offline
    from stackctl.errors import BadInput
    from stackctl.manifest_scan import MANIFEST_SUFFIXES, scan_manifests

    if path.is_file() and path.suffix not in MANIFEST_SUFFIXES:
        raise BadInput("--manifests", path, f"is not a {'/'.join(MANIFEST_SUFFIXES)} file; give a manifest file "
                       "or a directory of them")
    try:
        scan = scan_manifests(path)
    except FileNotFoundError:
        raise BadInput("--manifests", path, "does not exist; give a directory of YAML/JSON manifests "
                       "or one manifest file") from None
    except OSError as error:
        raise BadInput("--manifests", path, f"cannot be read ({error.strerror})") from None
    for line in scan.skipped:
        print(f"skipped {line}", file=sys.stderr)
    if scan.unparsable:
        raise BadInput("--manifests", path, f"{len(scan.unparsable)} file(s) could not be read, so nothing "
                       "was checked; fix or remove them", details=scan.unparsable)
    if not scan.objects:
        found = (f"{scan.files} file(s), none holding a Kubernetes object" if scan.files
                 else f"no {'/'.join(MANIFEST_SUFFIXES)} file")
        raise BadInput("--manifests", path, f"nothing to check: {found}; give rendered manifests "
                       "(`stackctl render`, `helm template`, `kustomize build`, `kubectl get -o yaml`)")
    resources, locations = [], {}
    for document, location in zip(scan.objects, scan.locations):
        for resource in offline.resources_from_manifests([document]):
            resources.append(resource)
            locations.setdefault(resource.with_urn(MANIFESTS_STACK).urn, location)
    return resources, locations


# The stack name manifests are evaluated under (it appears in their URNs).
MANIFESTS_STACK = "manifests"


def format_table(violations: list) -> str:
    rows = [("POLICY", "RESOURCE", "MESSAGE", "LEVEL")]
    rows += [(v.policy, v.resource or "(stack)", v.message, v.level) for v in violations]
    widths = [max(len(row[column]) for row in rows) for column in (0, 1)]
    return "\n".join(f"{policy:<{widths[0]}}  {resource:<{widths[1]}}  {level:<9}  {message}"
                     for policy, resource, message, level in rows)


def run(args) -> int:
    from policies import offline
    from stackctl.errors import BadInput

    if (args.stack is None) == (args.manifests is None):
        given = "both STACK and --manifests" if args.stack is not None else "neither STACK nor --manifests"
        raise BadInput("stackctl policy", given, "give either STACK (the program under mocks) or "
                       "--manifests PATH, not both", quote=False)
    if args.root is not None and args.manifests is not None:
        raise BadInput("--root", args.root, "applies to STACK only; --manifests reads the files given")
    config_path = args.config
    if config_path is None and args.stack is not None:
        config_path = CONFIG_DIRECTORY / f"{args.stack}.json"
        if not config_path.is_file():
            raise BadInput("stack", args.stack, f"has no policy config {config_path.relative_to(PROJECT_ROOT)}; "
                           "give one with --config FILE")
    config = _load_config(config_path)
    if args.manifests is not None:
        config = {**config, **NO_RESOURCE_OPTIONS_IN_YAML}
        resources, locations = _manifest_resources(args.manifests)
        stack = MANIFESTS_STACK
        fallback_location = (args.manifests, 0)
    else:
        resources = _stack_resources(args.stack, args.root)
        stack = args.stack
        locations = {}
        # A stack's resources come from the program; the stack file is what a reviewer changes.
        fallback_location = ((args.root or PROJECT_ROOT) / f"Pulumi.{args.stack}.yaml", 0)
    try:
        violations = offline.evaluate(resources, config, stack)
    except ValueError as error:  # the config names unknown policies or breaks a policy's schema
        raise BadInput("--config", config_path, f"{error}") from None

    mandatory = sum(1 for v in violations if v.mandatory)
    output = getattr(args, "output", "text")
    if output == "sarif":
        from stackctl.policy_sarif import sarif_log

        print(json.dumps(sarif_log(violations, config, locations, fallback_location), indent=2, sort_keys=True))
    elif output == "json":
        from stackctl.output_formats import print_json

        def located(violation) -> Optional[dict[str, Any]]:
            file, line = locations.get(violation.urn, fallback_location)
            return {"file": str(file), "line": line} if line else {"file": str(file)}

        print_json("policy", {
            "stack": args.stack,
            "manifests": str(args.manifests) if args.manifests is not None else None,
            "config": str(config_path) if config_path else None,
            "resources": len(resources),
            "mandatory": mandatory,
            "advisory": len(violations) - mandatory,
            "violations": [{"policy": v.policy, "resource": v.resource, "urn": v.urn, "level": v.level,
                            "message": v.message, "location": located(v)} for v in violations],
        })
    else:
        from stackctl.output_formats import plural

        if violations:
            print(format_table(violations))
        print(f"{plural(len(resources), 'resource')}, {plural(len(violations), 'violation')} ({mandatory} mandatory)"
              + (f", config {config_path}" if config_path else ""))
    return 1 if mandatory else 0

"""`stackctl policy`: run the policy pack without the Pulumi engine.

Two inputs, the same policy objects as `pulumi preview --policy-pack policies`:

* `stackctl policy STACK` runs the program under Pulumi's mock runtime
  (`stackctl.render.collect_resources`) and evaluates every resource it
  registers, with its inputs and resource options, under
  `policies/config/STACK.json` (or `--config`);
* `stackctl policy --manifests DIR` evaluates the Kubernetes YAML under DIR
  (e.g. a `stackctl render` output). YAML has no resource options, so
  `persistent-volume-claim-protected` is disabled there.

Prints one line per violation (policy, resource, message, level) and exits 1
if any is mandatory, 2 on bad input (config, stack, directory).
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
    parser = subparsers.add_parser("policy", help="evaluate the policy pack offline (stack under mocks, or YAML)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", nargs="?", help="stack to evaluate under mocks: staging or prod")
    parser.add_argument("--manifests", type=Path, metavar="DIR", help="evaluate the Kubernetes YAML under DIR instead")
    parser.add_argument("--root", type=Path, metavar="DIR", default=None,
                        help="project root whose __main__.py and Pulumi.STACK.yaml to run (default: this repository)")
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
    from components.config_model import ConfigError  # late: the program and the Pulumi SDK
    from stackctl.render import collect_resources

    try:
        collected = collect_resources(stack, root=root)
    except ConfigError as error:
        raise ValueError(f"stack {stack!r} has invalid config:\n{error}") from error
    return resources_from_registrations(collected.resources)


def _load_config(path: Optional[Path]) -> dict[str, Any]:
    if path is None:
        return {}
    with path.open(encoding="utf-8") as stream:
        return json.load(stream)


def format_table(violations: list) -> str:
    rows = [("POLICY", "RESOURCE", "MESSAGE", "LEVEL")]
    rows += [(v.policy, v.resource or "(stack)", v.message, v.level) for v in violations]
    widths = [max(len(row[column]) for row in rows) for column in (0, 1)]
    return "\n".join(f"{policy:<{widths[0]}}  {resource:<{widths[1]}}  {level:<9}  {message}"
                     for policy, resource, message, level in rows)


def run(args) -> int:
    from policies import offline

    if (args.stack is None) == (args.manifests is None):
        print("stackctl policy: give either STACK or --manifests DIR", file=sys.stderr)
        return 2
    config_path = args.config
    if config_path is None and args.stack is not None:
        config_path = CONFIG_DIRECTORY / f"{args.stack}.json"
    try:
        config = _load_config(config_path)
        if args.manifests is not None:
            if not args.manifests.is_dir():
                raise ValueError(f"--manifests {args.manifests}: must be a directory of YAML files")
            config = {**config, **NO_RESOURCE_OPTIONS_IN_YAML}
            resources = offline.load_manifests(args.manifests)
            stack = args.stack or "manifests"
        else:
            resources = _stack_resources(args.stack, args.root)
            stack = args.stack
        violations = offline.evaluate(resources, config, stack)
    except (OSError, ValueError) as error:
        print(f"stackctl policy: {error}", file=sys.stderr)
        return 2

    mandatory = sum(1 for v in violations if v.mandatory)
    if violations:
        print(format_table(violations))
    print(f"{len(resources)} resources, {len(violations)} violations ({mandatory} mandatory)"
          + (f", config {config_path}" if config_path else ""))
    return 1 if mandatory else 0

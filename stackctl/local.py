"""`stackctl local STACK preview|up|destroy`: the real engine on a local cluster, leaving the repository as it is.

Runs the program under the Pulumi engine that `scripts/build-engine` built,
through the Automation API (stackctl/engine_workspace.py), on a scratch copy
of the project in `.pulumi-local/project/` with its file backend in
`.pulumi-local/state/` (both git-ignored), against the cluster KUBECONFIG
names (for example `scripts/local-cluster up`). The repository's stack files
are only read: `git status` is clean afterwards. The policy pack runs on
preview and up (policies/run-policy-pack, with the stack's pack config).

Azure and Vault cannot run on a local cluster: their resources are skipped
with a warning (the copy sets `kubernetes.skipCloudResourcesWithoutPlugins`).
Exit codes: 0 the operation succeeded; 1 the engine reported a failure (a
policy violation, a protected resource, a failed resource); 2 bad input (no
engine built, no such stack, invalid config).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from stackctl.errors import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, BadInput

SCRATCH = ".pulumi-local"


def add_parser(subparsers) -> None:
    from stackctl.errors import stack_name

    parser = subparsers.add_parser("local", help="preview, up or destroy a stack on a local cluster with the real engine",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", type=stack_name, help="stack name: staging or prod")
    parser.add_argument("operation", choices=("preview", "up", "destroy"), help="what the engine does")
    parser.add_argument("--kubeconfig", type=Path, default=None,
                        help="the cluster's kubeconfig (default: $KUBECONFIG)")
    parser.add_argument("--no-policy-pack", action="store_true", help="run preview or up without the policy pack")
    parser.add_argument("--preview-json", type=Path, default=None, metavar="FILE",
                        help="with preview: also write its steps and diagnostics as `pulumi preview --json` does, a refused "
                             "preview's too (for `stackctl risk --preview`)")


def run(args) -> int:
    from stackctl.engine_workspace import EngineWorkspace, built_engine, sync_scratch_project

    root = (args.root or Path(__file__).resolve().parents[1]).resolve()
    if args.preview_json is not None and args.operation != "preview":
        raise BadInput("--preview-json", args.preview_json, f"goes with preview, not {args.operation}")
    stack_file = root / f"Pulumi.{args.stack}.yaml"
    if not stack_file.is_file():
        stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise BadInput("stack", args.stack, f"there is no {stack_file.name} in --root {root}; "
                       f"stacks there: {', '.join(stacks) or 'none'}")
    kubeconfig = args.kubeconfig or (Path(os.environ["KUBECONFIG"]) if os.environ.get("KUBECONFIG") else None)
    if kubeconfig is None or not kubeconfig.is_file():
        raise BadInput("--kubeconfig", kubeconfig or "", "name the local cluster's kubeconfig, or set KUBECONFIG "
                       "(`scripts/local-cluster up` prints it; `eval \"$(scripts/local-cluster env)\"` sets it)")
    engine, why = built_engine()
    if engine is None:
        raise BadInput("engine", "not built", f"build it with scripts/build-engine (docs/engine.md): {why.splitlines()[0] if why else ''}")
    scratch = root / SCRATCH
    try:
        sync_scratch_project(root, scratch / "project", (args.stack,))
    except ValueError as error:
        raise BadInput("stack file", stack_file, str(error)) from None
    workspace = EngineWorkspace(scratch / "project", scratch / "state", engine, str(kubeconfig.resolve()))
    policy = None if args.no_policy_pack or args.operation == "destroy" else root / "policies" / "config" / f"{args.stack}.json"
    print(f"stackctl local: {args.operation} {args.stack} with {engine / 'bin' / 'pulumi'} on {kubeconfig} "
          f"(scratch copy {scratch / 'project'})", file=sys.stderr)
    as_json = getattr(args, "output", "text") == "json"
    # The engine's progress is for people: on stdout in text, on stderr when stdout is the JSON document.
    stream = sys.stderr if as_json else sys.stdout
    result = workspace.run(args.operation, args.stack, policy_config=policy,
                           on_output=lambda line: print(line, end="" if line.endswith("\n") else "\n",
                                                        file=stream, flush=True))
    # A refused preview (a protected claim it would replace) is written too: its steps and the refusal
    # (an error diagnostic on that URN) are what `stackctl risk --preview` shows a reviewer.
    if args.preview_json is not None and args.operation == "preview" and (result.returncode == 0 or result.steps):
        import json

        args.preview_json.write_text(json.dumps(result.preview_json(), indent=2, sort_keys=True), encoding="utf-8")
    if result.returncode != 0:
        # What the engine printed on its stderr (its error) is only in the failure's text.
        print(result.output.split(" stderr: ", 1)[-1].strip(), file=sys.stderr)
    if as_json:
        from stackctl.output_formats import print_json

        print_json("local", {"stack": args.stack, "operation": args.operation, "succeeded": result.returncode == 0,
                             "seconds": round(result.seconds, 3), "changeSummary": result.change_summary})
    if result.returncode != 0:
        return EXIT_BAD_INPUT if "invalid config in Pulumi." in result.output else EXIT_FINDINGS
    return EXIT_OK

"""`stackctl drift STACK --live FILE`: does the cluster run the images the release block pins?

FILE is `kubectl get deployments --all-namespaces -o json` from the stack's
cluster. Every Deployment the stack renders must exist there and run, in
each container and init container, exactly the image the stack renders
(which is the release block's digest). A difference is drift: someone ran
`kubectl set image`, an `up` failed halfway, or a rollout is stuck. Exit 1
listing each one; exit 0 when the cluster matches.

Deliberately left out: reading the cluster itself (pipe kubectl in CI
instead), and objects other than Deployments (images live only there).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _images(pod_spec: dict[str, Any]) -> dict[str, str]:
    images = {}
    for kind in ("initContainers", "containers"):
        for container in pod_spec.get(kind) or []:
            images[f"{kind}/{container['name']}"] = container.get("image")
    return images


def find_drift(expected: list[dict[str, Any]], live: dict[str, Any]) -> list[str]:
    """Expected Deployment objects (rendered) against a kubectl list of live ones."""
    running = {
        (item["metadata"].get("namespace"), item["metadata"]["name"]): _images(item["spec"]["template"]["spec"])
        for item in live.get("items", [])
    }
    problems = []
    for deployment in sorted(expected, key=lambda d: (d["metadata"]["namespace"], d["metadata"]["name"])):
        key = (deployment["metadata"]["namespace"], deployment["metadata"]["name"])
        name = f"Deployment {key[0]}/{key[1]}"
        if key not in running:
            problems.append(f"{name}: not running on the cluster")
            continue
        wanted = _images(deployment["spec"]["template"]["spec"])
        for container, image in sorted(wanted.items()):
            actual = running[key].get(container)
            if actual != image:
                problems.append(f"{name} {container}: runs {actual or 'nothing'}, release pins {image}")
    return problems


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("drift", help="compare live Deployments' images with the release block",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", help="stack name: staging or prod")
    parser.add_argument("--live", type=Path, required=True,
                        help="`kubectl get deployments --all-namespaces -o json` of the stack's cluster")


def run(args) -> int:
    from components.config_model import ConfigError
    from stackctl.render import collect_resources

    try:
        live = json.loads(args.live.read_text(encoding="utf-8"))
        result = collect_resources(args.stack)
    except (OSError, json.JSONDecodeError) as error:
        print(f"error: --live {args.live}: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(f"error: invalid config for stack {args.stack}:\n  " + "\n  ".join(error.problems), file=sys.stderr)
        return 2
    expected = [r.inputs for r in result.resources if r.type == "kubernetes:apps/v1:Deployment"]
    problems = find_drift(expected, live)
    if problems:
        print(f"drift: {len(problems)} difference(s) between the cluster and stack {args.stack}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"no drift: {len(expected)} Deployments run the images stack {args.stack} pins")
    return 0

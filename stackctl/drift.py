"""`stackctl drift STACK --live FILE`: does the cluster run what the stack renders, and is it healthy?

FILE is what kubectl prints for the stack's workloads, as JSON:

    kubectl get deployments,statefulsets,cronjobs,jobs --all-namespaces -o json > live.json
    kubectl -n matrix get deployment sol -o json > live.json      # one object is fine too

For every workload the stack renders (Deployments today; StatefulSets,
CronJobs and Jobs as the program grows them), FILE must hold the object and
it must run, in each container and init container, exactly the image the
stack renders (the release block's digest). For Deployments and
StatefulSets the live status must also show a finished, healthy rollout:
the controller has seen the newest spec (`observedGeneration`), every
replica is updated and available, and the `Progressing` condition is not
`ProgressDeadlineExceeded`. Anything else is drift: someone ran `kubectl set
image`, an `up` failed halfway, or a rollout is stuck. Exit 1 listing each
one; exit 0 when the cluster matches.

When FILE also holds Secrets, the secret chain is checked too: for every
VaultStaticSecret and ExternalSecret the stack renders, the Secret it syncs
must exist and hold every key its `stackctl/provided-keys` annotation names
(the keys the workloads read). A key missing in OpenBao or Key Vault is
otherwise silent: VSO syncs the keys it finds, and a pod that started before
keeps running. Only key names are read, never values; pipe kubectl in rather
than writing Secrets to a file:

    kubectl get deployments,statefulsets,cronjobs,jobs,secrets --all-namespaces -o json \
      | stackctl drift staging --live /dev/stdin

Without Secrets in FILE the keys are not checked; on success a note on stderr says so.

Deliberately left out: reading the cluster itself (pipe kubectl in CI
instead), and live objects the stack does not render (other teams' workloads).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping, Optional

from stackctl.errors import BadInput

# kind -> where its pod template's spec is, and whether its status reports a rollout.
WORKLOAD_KINDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "Deployment": (("spec", "template", "spec"), True),
    "StatefulSet": (("spec", "template", "spec"), True),
    "DaemonSet": (("spec", "template", "spec"), False),
    "Job": (("spec", "template", "spec"), False),
    "CronJob": (("spec", "jobTemplate", "spec", "template", "spec"), False),
}
KUBECTL_COMMAND = "kubectl get deployments,statefulsets,cronjobs,jobs --all-namespaces -o json"
# The custom resources that sync a Secret, and where each names it (default: the resource's own name).
SECRET_SOURCE_KINDS: dict[str, tuple[str, ...]] = {
    "VaultStaticSecret": ("spec", "destination", "name"),
    "ExternalSecret": ("spec", "target", "name"),
}
PROVIDED_KEYS_ANNOTATION = "stackctl/provided-keys"


def _dig(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        document = document.get(key) if isinstance(document, Mapping) else None
    return document


def _images(pod_spec: Any) -> dict[str, Optional[str]]:
    images: dict[str, Optional[str]] = {}
    for list_name in ("initContainers", "containers"):
        containers = pod_spec.get(list_name) if isinstance(pod_spec, Mapping) else None
        for container in containers if isinstance(containers, list) else []:
            if isinstance(container, Mapping):
                images[f"{list_name}/{container.get('name')}"] = container.get("image")
    return images


def _rollout_problems(live: Mapping[str, Any]) -> list[str]:
    """Why a live Deployment or StatefulSet has not finished a healthy rollout ([] when it has)."""
    spec, status = live.get("spec") or {}, live.get("status")
    if not isinstance(status, Mapping):
        return ["has no status (kubectl output without `status`? use `-o json` from the cluster)"]
    problems = []
    generation, observed = (live.get("metadata") or {}).get("generation"), status.get("observedGeneration")
    if isinstance(generation, int) and (not isinstance(observed, int) or observed < generation):
        problems.append(f"rollout not observed: generation {generation}, observedGeneration {observed}")
    wanted = spec.get("replicas", 1) if isinstance(spec, Mapping) else 1
    for field in ("updatedReplicas", "availableReplicas" if live.get("kind") == "Deployment" else "readyReplicas"):
        count = status.get(field) or 0
        if isinstance(wanted, int) and count < wanted:
            problems.append(f"{field} {count} of {wanted}")
    for condition in status.get("conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == "Progressing" \
                and condition.get("reason") == "ProgressDeadlineExceeded":
            problems.append(f"rollout stuck: ProgressDeadlineExceeded ({condition.get('message', 'no message')})")
    return problems


def live_objects(live: Any, source: str) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    """(kind, namespace, name) -> object, from a kubectl `List` or a single object. Raises BadInput."""
    if isinstance(live, Mapping) and isinstance(live.get("items"), list):
        items, where = live["items"], "items[{}]"
    elif isinstance(live, Mapping) and live.get("kind") in WORKLOAD_KINDS:
        items, where = [live], "the object"
    elif isinstance(live, list):
        raise BadInput("--live", source, "is a bare JSON array; give kubectl's own output, a List with "
                       f"`items` or one object (`{KUBECTL_COMMAND}`)")
    else:
        shown = f"kind {live.get('kind')!r}" if isinstance(live, Mapping) else f"a JSON {type(live).__name__}"
        raise BadInput("--live", source, f"holds {shown}, not a workload or a List of them; "
                       f"give `{KUBECTL_COMMAND}`")
    objects = {}
    for index, item in enumerate(items):
        label = where.format(index)
        metadata = item.get("metadata") if isinstance(item, Mapping) else None
        name = metadata.get("name") if isinstance(metadata, Mapping) else None
        if not isinstance(name, str) or not name:
            raise BadInput("--live", source, f"{label} has no metadata.name; is it kubectl's JSON output, "
                           "unedited?")
        kind = item.get("kind")
        if not isinstance(kind, str):
            raise BadInput("--live", source, f"{label} ({name}) has no kind; is it kubectl's JSON output, unedited?")
        objects[(kind, str(metadata.get("namespace") or ""), name)] = item
    return objects


def find_drift(expected: list[Mapping[str, Any]], live: dict[tuple[str, str, str], Mapping[str, Any]]) -> list[str]:
    """Rendered workload objects against the live ones: each difference as one line."""
    problems = []
    for workload in sorted(expected, key=lambda w: (w["kind"], w["metadata"].get("namespace", ""), w["metadata"]["name"])):
        kind, namespace, name = workload["kind"], workload["metadata"].get("namespace", ""), workload["metadata"]["name"]
        label = f"{kind} {namespace}/{name}"
        pod_spec_path, reports_rollout = WORKLOAD_KINDS[kind]
        running = live.get((kind, namespace, name))
        if running is None:
            problems.append(f"{label}: not on the cluster (not in --live)")
            continue
        actual_images = _images(_dig(running, pod_spec_path))
        for container, image in sorted(_images(_dig(workload, pod_spec_path)).items()):
            actual = actual_images.get(container)
            if actual != image:
                problems.append(f"{label} {container}: runs {actual or 'nothing'}, release pins {image}")
        if reports_rollout:
            problems += [f"{label}: {problem}" for problem in _rollout_problems(running)]
    return problems


def find_missing_secret_keys(sources: list[Mapping[str, Any]],
                             live: dict[tuple[str, str, str], Mapping[str, Any]]) -> list[str]:
    """Rendered secret sources against the live Secrets they sync: each missing Secret or key as one line."""
    problems = []
    for source in sorted(sources, key=lambda s: (s["kind"], s["metadata"].get("namespace", ""), s["metadata"]["name"])):
        metadata = source["metadata"]
        keys = [key for key in ((metadata.get("annotations") or {}).get(PROVIDED_KEYS_ANNOTATION) or "").split(",")
                if key]
        if not keys:
            continue
        namespace = metadata.get("namespace", "")
        secret_name = _dig(source, SECRET_SOURCE_KINDS[source["kind"]]) or metadata["name"]
        label = f"Secret {namespace}/{secret_name}"
        synced_by = f"{source['kind']} {namespace}/{metadata['name']}"
        secret = live.get(("Secret", namespace, secret_name))
        if secret is None:
            problems.append(f"{label}: not on the cluster; {synced_by} has not synced it "
                            f"(kubectl -n {namespace} describe {source['kind'].lower()} {metadata['name']})")
            continue
        present = set((secret.get("data") or {}).keys()) | set((secret.get("stringData") or {}).keys())
        missing = [key for key in keys if key not in present]
        if missing:
            problems.append(f"{label}: missing key(s) {', '.join(missing)} that the workloads read; "
                            f"{synced_by} synced only {', '.join(sorted(present)) or 'nothing'} "
                            "(add the key at the source, then the controller syncs it)")
    return problems


def add_parser(subparsers) -> None:
    from stackctl.errors import stack_name

    parser = subparsers.add_parser("drift", help="compare live workloads' images and rollouts with the stack",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", type=stack_name, help="stack name: staging or prod")
    parser.add_argument("--live", type=Path, required=True, metavar="FILE",
                        help=f"`{KUBECTL_COMMAND}` of the stack's cluster (or one object)")


def run(args) -> int:
    from stackctl.render import collect_resources

    try:
        live = json.loads(args.live.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput("--live", args.live, f"cannot be read ({error.strerror}); give the file "
                       f"`{KUBECTL_COMMAND}` wrote") from None
    except UnicodeDecodeError:
        raise BadInput("--live", args.live, f"is not UTF-8 text; give the JSON `{KUBECTL_COMMAND}` prints") from None
    except json.JSONDecodeError as error:
        raise BadInput("--live", args.live, f"is not JSON (line {error.lineno}: {error.msg}); "
                       f"use `-o json`: `{KUBECTL_COMMAND}`") from None
    except RecursionError:
        raise BadInput("--live", args.live, f"is JSON nested too deeply to be kubectl output; give "
                       f"`{KUBECTL_COMMAND}`") from None
    objects = live_objects(live, str(args.live))
    result = collect_resources(args.stack, root=getattr(args, "root", None))
    expected = [r.inputs for r in result.resources
                if r.type.startswith("kubernetes:") and r.inputs.get("kind") in WORKLOAD_KINDS]
    problems = find_drift(expected, objects)
    checked_secrets = None
    if any(kind == "Secret" for kind, _, _ in objects):
        sources = [r.inputs for r in result.resources
                   if r.type.startswith("kubernetes:") and r.inputs.get("kind") in SECRET_SOURCE_KINDS]
        problems += find_missing_secret_keys(sources, objects)
        checked_secrets = f"; {len(sources)} synced Secrets hold every key the workloads read"
    if getattr(args, "output", "text") == "json":
        from stackctl.output_formats import print_json

        print_json("drift", {"stack": args.stack, "workloads": len(expected), "live": str(args.live),
                             "drift": problems})
        return 1 if problems else 0
    if problems:
        from stackctl.output_formats import plural

        # The drift is the verb's finding: stdout, like policy's violations and parity's differences.
        print(f"drift: {plural(len(problems), 'difference')} between the cluster and stack {args.stack}:")
        for problem in problems:
            print(f"  {problem}")
        return 1
    if checked_secrets is None:
        print("note: secret keys not checked: --live holds no Secrets (add `secrets` to the kubectl command "
              "and pipe it: --live /dev/stdin)", file=sys.stderr)
    print(f"no drift: {len(expected)} workloads run the images stack {args.stack} pins, "
          f"rollouts complete{checked_secrets or ''}")
    return 0

"""`stackctl risk`: what a change puts at risk, as the short Markdown a reviewer reads on the pull request.

Input: `pulumi preview --json` of one stack (`--preview FILE`), or, offline,
two renders of it (`--before DIR --after DIR`, from `stackctl render`). The
summary has four sections, each a list or "none":

* **Data at risk**: a PersistentVolumeClaim (or Azure storage) replaced or
  deleted. A claim's access modes, class, volume and selector cannot change
  in place, so the engine replaces the claim, and a replaced claim is a new,
  empty volume. The claims are protected: the engine's preview then still
  lists the replacement steps and adds an error diagnostic on the claim's
  URN ("unable to replace resource ... marked for protection"); the line
  says the engine refused it.
* **Downtime**: a workload with the `Recreate` strategy (a single writer)
  whose pod template changes: the old pod stops before the new one starts,
  so every image or config change is an outage. Deleting or replacing a
  Deployment is one too.
* **Privilege widened**: a Vault policy gains a path or a capability; an
  Azure role assignment appears or changes; a NetworkPolicy gains an ingress
  or egress rule; an RBAC Role gains a rule or a binding a subject.
* **Promotion**: each container image that changes, old -> new, with its
  evidence: the release ledger entry (`releases/staging-verified.yaml`) and
  the newest `stackctl verify` record of that digest.

Then every changed object's diff (rendered manifests or engine inputs), each
collapsed in a `<details>` block. Secret values are never shown: a Secret's
`data` is reduced to its key names.

Deliberately left out: judging the change (the sections inform a reviewer;
the policy pack and the gates decide), and outputs computed at `up` time that
a preview does not know.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from stackctl.errors import BadInput

WORKLOAD_POD_TEMPLATE = {"Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"),
                         "DaemonSet": ("spec", "template"), "CronJob": ("spec", "jobTemplate", "spec", "template"),
                         "Job": ("spec", "template")}
# Fields of a claim that cannot change in place: the engine replaces the claim.
CLAIM_IMMUTABLE_FIELDS = ("accessModes", "storageClassName", "volumeName", "selector", "volumeMode")
REPLACE_OPS = {"replace", "create-replacement", "delete-replaced"}
# What the engine's error diagnostic says of a protected resource it would replace or delete.
PROTECTED_REFUSAL = "as it is currently marked for protection"
REFUSED = ("; the engine **refused** it: the resource is protected, so this preview fails and nothing changes "
           "until it is unprotected on purpose (docs/runbook.md)")
COMMENT_MARKER = "<!-- stackctl-risk:{stack} -->"


@dataclass(frozen=True)
class ObjectChange:
    """One object that changes: its type token, display name, operation, and both sides (None when absent)."""

    type: str
    name: str
    op: str  # create, update, replace or delete
    old: Optional[Mapping[str, Any]]
    new: Optional[Mapping[str, Any]]
    refused: bool = False  # the engine refused the step: the resource is protected (preview diagnostics)

    @property
    def kind(self) -> str:
        return self.type.rsplit(":", 1)[-1]

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


# --- reading the inputs ---------------------------------------------------------

def _kubernetes_type(manifest: Mapping[str, Any]) -> str:
    api_version = str(manifest.get("apiVersion", ""))
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{manifest.get('kind')}"


def _kubernetes_name(manifest: Mapping[str, Any]) -> str:
    metadata = manifest.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))


def read_render(directory: Path, flag: str) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(type, name) -> object, for every manifest and cloud resource of a `stackctl render` directory."""
    if not directory.is_dir():
        raise BadInput(flag, directory, "is not a directory; give the --out directory of `stackctl render STACK`")
    from stackctl.render import CLOUD_DIRECTORY

    objects = {}
    # The manifests (every .yaml file outside .stackctl/) and the cloud summaries (.stackctl/cloud/*, no suffix).
    manifests = [path for path in directory.rglob("*.yaml")
                 if not path.relative_to(directory).parts[0].startswith(".")]
    summaries = [path for path in (directory / CLOUD_DIRECTORY).glob("*") if path.is_file()]
    for path in sorted([*manifests, *summaries]):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise BadInput(flag, path, f"cannot be read as YAML ({type(error).__name__}); render again") from None
        if not isinstance(document, Mapping):
            continue
        if "type" in document and "inputs" in document:  # a cloud resource summary
            objects[(str(document["type"]), str(document.get("name")))] = document.get("inputs") or {}
        elif "kind" in document:
            objects[(_kubernetes_type(document), _kubernetes_name(document))] = document
    if not objects:
        raise BadInput(flag, directory, "holds no rendered object; give the --out directory of `stackctl render`")
    return objects


def _claim_replaced(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    return any(old_spec.get(field) != new_spec.get(field) for field in CLAIM_IMMUTABLE_FIELDS)


def changes_between_renders(before: Mapping, after: Mapping) -> list[ObjectChange]:
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None:
            op = "create"
        elif new is None:
            op = "delete"
        elif key[0].endswith(":PersistentVolumeClaim") and _claim_replaced(old, new):
            op = "replace"
        else:
            op = "update"
        changes.append(ObjectChange(key[0], key[1], op, old, new))
    return changes


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def changes_from_preview(preview: Any, source: str) -> list[ObjectChange]:
    """The steps of `pulumi preview --json` as changes; replacement steps of one resource become one change."""
    if not isinstance(preview, Mapping) or not isinstance(preview.get("steps"), list):
        raise BadInput("--preview", source, "is not `pulumi preview --json` output (no `steps` list); run "
                       "`pulumi preview --json --stack STACK > FILE`")
    # The engine's refusals: an error diagnostic on a resource's URN saying it is protected.
    refused = {str(d.get("urn")) for d in preview.get("diagnostics") or []
               if isinstance(d, Mapping) and d.get("severity") == "error" and d.get("urn")
               and PROTECTED_REFUSAL in " ".join(str(d.get("message", "")).split())}
    by_urn: dict[str, ObjectChange] = {}
    for step in preview["steps"]:
        if not isinstance(step, Mapping):
            continue
        op, urn = step.get("op"), str(step.get("urn", ""))
        if op in (None, "same", "read", "refresh", "discard") or not urn:
            continue
        old_state, new_state = step.get("oldState") or {}, step.get("newState") or {}
        resource_type = str(new_state.get("type") or old_state.get("type") or urn.split("::")[-2].split("$")[-1])
        if resource_type.startswith("pulumi:"):
            continue  # the stack and providers: their changes show in the resources they drive
        old, new = old_state.get("inputs"), new_state.get("inputs")
        kind = "replace" if op in REPLACE_OPS else {"create": "create", "update": "update", "delete": "delete",
                                                     "import": "create"}.get(op, "update")
        name = _kubernetes_name(new or old) if resource_type.startswith("kubernetes:") and (new or old) \
            else _urn_name(urn)
        previous = by_urn.get(urn)
        if previous is not None:
            old, new = previous.old or old, previous.new or new
        by_urn[urn] = ObjectChange(resource_type, name, kind if previous is None else "replace", old, new,
                                   refused=urn in refused)
    return sorted(by_urn.values(), key=lambda change: (change.type, change.name))


# --- the four sections ----------------------------------------------------------

def _dig(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        document = document.get(key) if isinstance(document, Mapping) else None
    return document


def _container_images(pod_template: Any) -> dict[str, str]:
    spec = (pod_template or {}).get("spec") or {}
    return {f"{list_name}/{container.get('name')}": container.get("image")
            for list_name in ("initContainers", "containers") for container in spec.get(list_name) or []
            if isinstance(container, Mapping)}


def data_at_risk(changes: list[ObjectChange]) -> list[str]:
    lines = []
    for change in changes:
        if change.kind == "PersistentVolumeClaim" and change.op in ("replace", "delete"):
            verb = "would be" if change.refused else "is"
            refused = REFUSED if change.refused else ""
            if change.op == "delete":
                lines.append(f"claim `{change.name}` {verb} **deleted**; its volume is kept only if the class "
                             f"retains it{refused}")
                continue
            fields = [f"{field} {json.dumps((change.old.get('spec') or {}).get(field))} -> "
                      f"{json.dumps((change.new.get('spec') or {}).get(field))}"
                      for field in CLAIM_IMMUTABLE_FIELDS
                      if (change.old.get("spec") or {}).get(field) != (change.new.get("spec") or {}).get(field)]
            lines.append(f"claim `{change.name}` {verb} **replaced** (a new, empty volume): {'; '.join(fields)}"
                         f"{refused}")
        elif change.type.startswith("azure-native:storage:") and change.op in ("replace", "delete"):
            lines.append(f"{change.kind} `{change.name}` is **{change.op}d**: the data in it goes with it")
        elif change.refused:
            lines.append(f"{change.label} would be **{change.op}d**{REFUSED}")
    return lines


def downtime(changes: list[ObjectChange]) -> list[str]:
    lines = []
    for change in changes:
        if change.kind not in WORKLOAD_POD_TEMPLATE or change.kind == "Job":
            continue
        document = change.new or change.old
        strategy = _dig(document, ("spec", "strategy", "type"))
        if change.op in ("delete", "replace"):
            lines.append(f"{change.label} is **{change.op}d**: it stops serving")
            continue
        if change.op != "update" or strategy != "Recreate":
            continue
        template_path = WORKLOAD_POD_TEMPLATE[change.kind]
        old_template, new_template = _dig(change.old, template_path), _dig(change.new, template_path)
        if old_template == new_template:
            continue
        old_images, new_images = _container_images(old_template), _container_images(new_template)
        what = [f"{container} image changes" for container in sorted(new_images)
                if old_images.get(container) != new_images[container]] or ["its pod template changes (config)"]
        lines.append(f"{change.label} (single writer, `Recreate`): **outage** while the old pod stops and the "
                     f"new one starts: {', '.join(what)}")
    return lines


_VAULT_PATH = re.compile(r'path\s+"([^"]+)"\s*\{[^}]*?capabilities\s*=\s*\[([^\]]*)\]', re.S)


def vault_capabilities(policy: str) -> set[tuple[str, str]]:
    return {(path, capability.strip().strip('"'))
            for path, capabilities in _VAULT_PATH.findall(policy or "")
            for capability in capabilities.split(",") if capability.strip()}


def _canonical(items: Any) -> list[str]:
    return [json.dumps(item, sort_keys=True) for item in items or []]


def privilege_widened(changes: list[ObjectChange]) -> list[str]:
    lines = []
    for change in changes:
        old, new = change.old or {}, change.new or {}
        if change.op == "delete":
            continue
        if change.type == "vault:index/policy:Policy":
            added = sorted(vault_capabilities(new.get("policy", "")) - vault_capabilities(old.get("policy", "")))
            if added:
                lines.append(f"Vault policy `{new.get('name', change.name)}` gains "
                             + ", ".join(f"`{capability}` on `{path}`" for path, capability in added))
        elif change.type.endswith(":RoleAssignment"):
            verb = "new" if change.op == "create" else "changed"
            lines.append(f"Azure role assignment `{change.name}` ({verb}): role "
                         f"`{str(new.get('roleDefinitionId', '?')).rsplit('/', 1)[-1]}` on scope "
                         f"`{new.get('scope', '?')}` for principal `{new.get('principalId', '?')}`")
        elif change.kind == "NetworkPolicy":
            for direction in ("ingress", "egress"):
                old_rules = _canonical((old.get("spec") or {}).get(direction))
                for rule in _canonical((new.get("spec") or {}).get(direction)):
                    if rule not in old_rules:
                        lines.append(f"NetworkPolicy `{change.name}` allows new {direction}: `{rule}`")
        elif change.kind in ("Role", "ClusterRole"):
            old_rules = _canonical(old.get("rules"))
            for rule in _canonical(new.get("rules")):
                if rule not in old_rules:
                    lines.append(f"{change.label} gains rule `{rule}`")
        elif change.kind in ("RoleBinding", "ClusterRoleBinding"):
            old_subjects = _canonical(old.get("subjects")) if old.get("roleRef") == new.get("roleRef") else []
            for subject in _canonical(new.get("subjects")):
                if subject not in old_subjects:
                    lines.append(f"{change.label} binds `{json.dumps(new.get('roleRef'), sort_keys=True)}` "
                                 f"to `{subject}`")
    return lines


@dataclass(frozen=True)
class Evidence:
    ledger: list[Any]
    verifications: list[Any]


def read_evidence(ledger_path: Optional[Path], records_path: Optional[Path]) -> Evidence:
    from config_models.base import ConfigError
    from config_models.release_ledger import read_ledger
    from stackctl.verification_record import read_records

    try:
        ledger = read_ledger(ledger_path).releases if ledger_path and ledger_path.exists() else []
        records = read_records(records_path).verifications if records_path and records_path.exists() else []
    except ConfigError as error:
        raise BadInput("--ledger/--verifications", error.problems[0], "fix or restore the file from git") from None
    return Evidence(ledger, records)


def promotion(changes: list[ObjectChange], evidence: Evidence) -> list[str]:
    pairs: dict[tuple[Optional[str], str], list[str]] = {}
    for change in changes:
        if change.kind not in WORKLOAD_POD_TEMPLATE or change.new is None:
            continue
        template_path = WORKLOAD_POD_TEMPLATE[change.kind]
        old_images = _container_images(_dig(change.old, template_path)) if change.old else {}
        for container, image in sorted(_container_images(_dig(change.new, template_path)).items()):
            if old_images.get(container) != image:
                pairs.setdefault((old_images.get(container), image), []).append(f"{change.name} {container}")
    lines = []
    for (old, new), users in sorted(pairs.items(), key=lambda item: item[0][1]):
        entries = [entry for entry in evidence.ledger if entry.image == new]
        if entries:
            entry = entries[-1]
            update = f"update {entry.update}, " if entry.update is not None else ""
            ledger = f"ledger: {entry.stack} ran it ({update}ended {entry.deployed_at})"
        else:
            ledger = "ledger: **no entry** (prod's provenance gate refuses it)"
        records = [record for record in evidence.verifications if new in record.digests.values()]
        if records:
            record = records[-1]
            verified = (f"verified {record.result} at {record.verified_at}"
                        + ("" if record.result == "passed" else " (**red**)"))
        else:
            verified = "**no verification** (`stackctl verify staging`)"
        lines.append(f"`{old or '(new)'}` -> `{new}` ({'; '.join(users)}): {ledger}; {verified}")
    return lines


# --- the Markdown ------------------------------------------------------------------

def _redacted(document: Optional[Mapping[str, Any]]) -> Optional[Mapping[str, Any]]:
    if isinstance(document, Mapping) and document.get("kind") == "Secret":
        document = dict(document)
        for field in ("data", "stringData"):
            if isinstance(document.get(field), Mapping):
                document[field] = {key: "(value not shown)" for key in document[field]}
    return document


def object_diff(change: ObjectChange) -> str:
    def text(document):
        if document is None:
            return []
        return yaml.safe_dump(_redacted(document), sort_keys=True, width=4096).splitlines(keepends=True)
    return "".join(difflib.unified_diff(text(change.old), text(change.new), fromfile=f"a/{change.label}",
                                        tofile=f"b/{change.label}"))


def risk_summary(stack: str, changes: list[ObjectChange], evidence: Evidence, source: str) -> str:
    sections = [("Data at risk", data_at_risk(changes)), ("Downtime", downtime(changes)),
                ("Privilege widened", privilege_widened(changes)), ("Promotion", promotion(changes, evidence))]
    lines = [COMMENT_MARKER.format(stack=stack), f"## Risk of this change to stack `{stack}`", "",
             f"{len(changes)} object(s) change ({source}).", ""]
    for title, items in sections:
        lines.append(f"### {title}")
        lines += [f"- {item}" for item in items] if items else ["none"]
        lines.append("")
    lines += ["### Changed objects", ""]
    for change in changes:
        lines += [f"<details><summary>{change.op} {change.label}</summary>", "", "```diff",
                  object_diff(change).rstrip("\n"), "```", "", "</details>", ""]
    if not changes:
        lines.append("none")
    return "\n".join(lines).rstrip("\n") + "\n"


def add_parser(subparsers) -> None:
    from stackctl.errors import stack_name

    parser = subparsers.add_parser("risk", help="Markdown summary of what a change puts at risk, for the PR comment",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", type=stack_name, help="stack name, e.g. prod")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--preview", type=Path, metavar="FILE", help="`pulumi preview --json --stack STACK` output")
    source.add_argument("--before", type=Path, metavar="DIR", help="`stackctl render` of the base (with --after)")
    parser.add_argument("--after", type=Path, metavar="DIR", help="`stackctl render` of the change")
    parser.add_argument("--ledger", type=Path, default=Path("releases/staging-verified.yaml"),
                        help="release ledger for the promotion evidence. Default: releases/staging-verified.yaml.")
    parser.add_argument("--verifications", type=Path, default=Path("releases/staging-verifications.yaml"),
                        help="`stackctl verify` records. Default: releases/staging-verifications.yaml.")
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown here. Default: stdout only.")


def run(args) -> int:
    if args.before is not None:
        if args.after is None:
            raise BadInput("--before", args.before, "needs --after DIR, the render of the change")
        changes = changes_between_renders(read_render(args.before, "--before"), read_render(args.after, "--after"))
        source = "offline renders"
    else:
        if args.after is not None:
            raise BadInput("--after", args.after, "goes with --before, not with --preview")
        try:
            preview = json.loads(args.preview.read_text(encoding="utf-8"))
        except OSError as error:
            raise BadInput("--preview", args.preview, f"cannot be read ({error.strerror})") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadInput("--preview", args.preview, "is not JSON; give `pulumi preview --json` output") from None
        changes = changes_from_preview(preview, str(args.preview))
        source = "pulumi preview"
    evidence = read_evidence(args.ledger, args.verifications)
    summary = risk_summary(args.stack, changes, evidence, source)
    if getattr(args, "output", "text") == "json":
        from stackctl.output_formats import print_json

        print_json("risk", {
            "stack": args.stack, "source": source,
            "changes": [{"op": change.op, "type": change.type, "name": change.name} for change in changes],
            "dataAtRisk": data_at_risk(changes), "downtime": downtime(changes),
            "privilegeWidened": privilege_widened(changes), "promotion": promotion(changes, evidence),
            "markdown": summary,
        })
    else:
        sys.stdout.write(summary)
    if args.out is not None:
        args.out.write_text(summary, encoding="utf-8")
    return 0

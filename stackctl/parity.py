"""`stackctl parity STACK_A STACK_B`: two stacks must render the same resources, differing only in values.

Staging exists to predict prod, which it does only if both run the same
program over the same resource set and differ by config values alone. This
verb renders both stacks offline (`stackctl render`) and compares the rendered
files: every resource must exist on both sides, with the same structure (the
same key paths, the same list lengths, the same named list items in the same
order), and every scalar that differs must be listed in `ALLOWED_DIFFERENCES`,
the single table of values that may legitimately vary by environment.

A resource is identified by (apiVersion, kind, namespace, name) for Kubernetes
objects and by (type, name) for the summaries of other resources
(`.stackctl/cloud/*`), read from each file's content, not its file name. Lists whose
items all carry a unique `name` (containers, env, volumes, ...) are matched by
name rather than position, so one added item is reported once.

Left out on purpose: stack outputs (`.stackctl/outputs`) are not resources and are
not compared; structural differences are never allowed except where an
allowlist entry says a key may be absent on one side; and this is a
comparison of what the program would register, not of live state.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, Optional, Sequence, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field


class RenderedFilesError(ValueError):
    """A directory of rendered files that cannot be compared (unreadable, unknown shape, duplicates)."""


# --- the allowlist -----------------------------------------------------------

class AllowedDifference(BaseModel):
    """One value that may differ between environments.

    `path` is a key path inside the rendered document: keys joined by `.`,
    `["key.with.dots"]` for a key that contains dots, `[]` for any item of a
    list, `*` (or any fnmatch glob) within one key, and `**` for any number of
    levels. `resource` is an fnmatch glob over the Kubernetes kind
    (`Deployment`) or the cloud resource type (`azure-native:keyvault:Vault`);
    types always contain `:` and kinds never do, so one field serves both.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    resource: str = Field(description="Glob over the Kubernetes kind or cloud resource type. Required.")
    path: str = Field(description="Key path pattern inside the document. Required.")
    reason: str = Field(description="Why environments may differ here; printed with --show-allowed. Required.")
    presence: bool = Field(
        False, description="Also allow the key to be absent on one side. Default: false (values only)."
    )


# The values that may differ between two stacks of this program, and why.
# Anything not matched here is a finding. Keep each entry as narrow as the
# reason; add one only with a reason a reviewer can check.
ALLOWED_DIFFERENCES: tuple[AllowedDifference, ...] = (
    # Names and fingerprints of the environment itself.
    AllowedDifference(resource="*", path="**.metadata.labels.platform/environment",
                      reason="the label carries the environment's name"),
    AllowedDifference(resource="*", path="**.metadata.annotations.checksum/*",
                      reason="checksums of mounted config, whose content is per-stack config"),
    # Images: prod pins what staging ran, one promotion later.
    AllowedDifference(resource="*", path="**.containers[].image",
                      reason="image digests differ until `stackctl promote` copies staging's"),
    AllowedDifference(resource="*", path="**.initContainers[].image",
                      reason="image digests differ until `stackctl promote` copies staging's"),
    # Sizing: quantities, not shape.
    AllowedDifference(resource="*", path="**.resources.requests.*",
                      reason="CPU/memory requests and volume sizes are sized per environment"),
    AllowedDifference(resource="*", path="**.resources.limits.*",
                      reason="CPU/memory limits are sized per environment"),
    AllowedDifference(resource="azure-native:containerservice:AgentPool", path="inputs.count",
                      reason="node pool size is per environment"),
    AllowedDifference(resource="azure-native:containerservice:AgentPool", path="inputs.minCount",
                      reason="node pool autoscaler floor is per environment"),
    AllowedDifference(resource="azure-native:containerservice:AgentPool", path="inputs.maxCount",
                      reason="node pool autoscaler ceiling is per environment"),
    AllowedDifference(resource="azure-native:containerservice:AgentPool", path="inputs.vmSize",
                      reason="node VM size is per environment"),
    AllowedDifference(resource="azure-native:containerservice:ManagedCluster", path="inputs.agentPoolProfiles[].count",
                      reason="node pool size is per environment"),
    AllowedDifference(resource="azure-native:containerservice:ManagedCluster", path="inputs.agentPoolProfiles[].minCount",
                      reason="node pool autoscaler floor is per environment"),
    AllowedDifference(resource="azure-native:containerservice:ManagedCluster", path="inputs.agentPoolProfiles[].maxCount",
                      reason="node pool autoscaler ceiling is per environment"),
    AllowedDifference(resource="azure-native:containerservice:ManagedCluster", path="inputs.agentPoolProfiles[].vmSize",
                      reason="node VM size is per environment"),
    # Timings tuned per environment.
    AllowedDifference(resource="*", path="**.terminationGracePeriodSeconds",
                      reason="the drain budget is tuned per environment"),
    AllowedDifference(resource="VaultStaticSecret", path="spec.refreshAfter",
                      reason="the secret refresh interval is tuned per environment"),
    # Stricter settings prod chooses by config.
    AllowedDifference(resource="PersistentVolumeClaim", path="spec.accessModes[]",
                      reason="prod may pin ReadWriteOncePod, the stricter single-writer mode"),
    AllowedDifference(resource="azure-native:keyvault:Vault", path="inputs.properties.enablePurgeProtection",
                      reason="purge protection cannot be turned off once on, so only prod enables it",
                      presence=True),
    AllowedDifference(resource="Ingress", path="spec.rules[].host",
                      reason="each environment serves its own host names"),
    AllowedDifference(resource="Ingress", path="spec.tls[].hosts[]",
                      reason="each environment serves its own host names"),
    # Addresses and names that belong to one environment. (`routing.host` and
    # the backup storage account, wherever they spread, are compared as
    # placeholders: `with_config_values_as_placeholders`.)
    AllowedDifference(resource="Certificate", path="spec.issuerRef.name",
                      reason="staging may use a staging ACME issuer"),
    AllowedDifference(resource="SecretStore", path="spec.provider.azurekv.vaultUrl",
                      reason="each environment has its own Key Vault"),
    AllowedDifference(resource="azure-native:*", path="inputs.resourceGroupName",
                      reason="each environment has its own resource group"),
    AllowedDifference(resource="azure-native:keyvault:Vault", path="inputs.vaultName",
                      reason="each environment has its own Key Vault"),
    AllowedDifference(resource="azure-native:keyvault:Vault", path="inputs.properties.networkAcls.virtualNetworkRules[].id",
                      reason="each environment's cluster has its own VNet subnet"),
    AllowedDifference(resource="azure-native:keyvault:Vault", path="inputs.properties.networkAcls.ipRules[].value",
                      reason="each environment may admit its own address ranges"),
    AllowedDifference(resource="azure-native:managedidentity:UserAssignedIdentity", path="inputs.resourceName",
                      reason="identity names carry the environment"),
    AllowedDifference(resource="azure-native:authorization:RoleAssignment", path="inputs.roleAssignmentName",
                      reason="a GUID derived from the environment's resource names"),
    AllowedDifference(resource="azure-native:managedidentity:FederatedIdentityCredential", path="inputs.issuer",
                      reason="each cluster has its own OIDC issuer"),
    AllowedDifference(resource="azure-native:managedidentity:FederatedIdentityCredential",
                      path="inputs.resourceName", reason="the identity it belongs to carries the environment"),
    AllowedDifference(resource="azure-native:containerservice:AgentPool", path="inputs.resourceName",
                      reason="each environment has its own AKS cluster"),
)


# --- paths and patterns ------------------------------------------------------

@dataclass(frozen=True)
class NamedItem:
    """A list item matched by its `name` key rather than its position."""

    name: str


PathSegment = Union[str, int, NamedItem]
_PLAIN_KEY = re.compile(r"^[^.\[\]\"\s]+$")


def format_path(path: Sequence[PathSegment]) -> str:
    """`('spec', 'containers', NamedItem('sol'), 'image')` -> `spec.containers[name=sol].image`."""
    text = ""
    for segment in path:
        if isinstance(segment, NamedItem):
            text += f"[name={segment.name}]"
        elif isinstance(segment, int):
            text += f"[{segment}]"
        elif _PLAIN_KEY.match(segment):
            text += ("." if text else "") + segment
        else:
            text += f"[{json.dumps(segment)}]"
    return text or "(document)"


_PATTERN_TOKEN = re.compile(r'\.?(?:(?P<any_item>\[\])|\["(?P<quoted>[^"]*)"\]|(?P<key>[^.\[\]]+))')
_DEEP, _ANY_ITEM = object(), object()


def parse_path_pattern(pattern: str) -> tuple[Any, ...]:
    """Split a path pattern into key globs, `_ANY_ITEM` and `_DEEP`. Raises ValueError if malformed."""
    if not pattern:
        raise ValueError("path pattern '': empty (name at least one key)")
    segments: list[Any] = []
    position = 0
    while position < len(pattern):
        match = _PATTERN_TOKEN.match(pattern, position)
        if not match or (position == 0 and pattern.startswith(".")):
            raise ValueError(f"path pattern {pattern!r}: cannot read it at offset {position} "
                             '(keys joined by ".", ["quoted.key"], [] for any item, ** for any depth)')
        if match["any_item"]:
            segments.append(_ANY_ITEM)
        elif match["quoted"] is not None:
            segments.append(("key", match["quoted"]))
        elif match["key"] == "**":
            segments.append(_DEEP)
        else:
            segments.append(("glob", match["key"]))
        position = match.end()
    return tuple(segments)


def path_matches(pattern: Sequence[Any], path: Sequence[PathSegment]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head is _DEEP:
        return any(path_matches(rest, path[skip:]) for skip in range(len(path) + 1))
    if not path:
        return False
    segment = path[0]
    if head is _ANY_ITEM:
        matched = isinstance(segment, (int, NamedItem))
    elif head[0] == "key":
        matched = segment == head[1]
    else:
        matched = isinstance(segment, str) and fnmatchcase(segment, head[1])
    return matched and path_matches(rest, path[1:])


# Parsed once; a malformed entry fails at import, in every test run.
_PARSED_ALLOWLIST = {entry: parse_path_pattern(entry.path) for entry in ALLOWED_DIFFERENCES}


# --- rendered resources ------------------------------------------------------

@dataclass(frozen=True)
class ResourceId:
    """(apiVersion, kind, namespace, name) of a Kubernetes object, or ("", type, "", name) of a cloud resource."""

    api_version: str
    kind: str  # the Kubernetes kind, or the cloud resource type
    namespace: str
    name: str

    @property
    def is_kubernetes(self) -> bool:
        return bool(self.api_version)

    def __str__(self) -> str:
        if not self.is_kubernetes:
            return f"{self.kind} {self.name}"
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.api_version} {self.kind} {where}"


def resource_id(document: Any, source: Path) -> ResourceId:
    if isinstance(document, dict) and "apiVersion" in document and "kind" in document:
        metadata = document.get("metadata") or {}
        if not isinstance(metadata, dict) or not metadata.get("name"):
            raise RenderedFilesError(f"{source}: Kubernetes object without metadata.name")
        return ResourceId(str(document["apiVersion"]), str(document["kind"]),
                          str(metadata.get("namespace") or ""), str(metadata["name"]))
    if isinstance(document, dict) and "type" in document and "name" in document:
        return ResourceId("", str(document["type"]), "", str(document["name"]))
    raise RenderedFilesError(
        f"{source}: neither a Kubernetes object (apiVersion, kind, metadata.name) "
        "nor a cloud resource summary (type, name, inputs)"
    )


def load_rendered(directory: Path) -> dict[ResourceId, dict]:
    """Every resource rendered under `directory`, by identity: the manifests and `.stackctl/cloud/` summaries.

    The stack outputs (`.stackctl/outputs`) are not resources and are skipped.
    """
    from stackctl.render import CLOUD_DIRECTORY

    directory = Path(directory)
    if not directory.is_dir():
        raise RenderedFilesError(f"{directory}: not a directory of rendered files")
    resources: dict[ResourceId, dict] = {}
    sources: dict[ResourceId, Path] = {}
    manifests = (path for pattern in ("*.yaml", "*.yml") for path in directory.rglob(pattern)
                 if not path.relative_to(directory).parts[0].startswith("."))
    summaries = (path for path in (directory / CLOUD_DIRECTORY).glob("*") if path.is_file())
    files = sorted([*manifests, *summaries])
    for path in files:
        relative = path.relative_to(directory)
        try:
            documents = [document for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
                         if document is not None]
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise RenderedFilesError(f"{path}: cannot read it as YAML ({error})") from None
        for document in documents:
            identity = resource_id(document, relative)
            if identity in resources:
                raise RenderedFilesError(f"{directory}: {identity} is rendered twice ({sources[identity]}, {relative})")
            resources[identity], sources[identity] = document, relative
    return resources


def with_config_values_as_placeholders(resources: dict[ResourceId, dict],
                                       values: dict[str, str]) -> dict[ResourceId, dict]:
    """The resources with each given config value written as `<key>` in every string.

    Some single config values reach many places: `routing.host` goes into
    env values, config files, certificate names and URLs through route
    references (`${route.forge.url}`), the backup storage account into each
    Litestream config. A difference that is only such a value is not a
    difference of the program; whatever else differs in the same string still
    shows. Host names are also replaced in their dashed form (Secret names).
    """
    replacements: list[tuple[str, str]] = []
    for key, value in values.items():
        if value:
            replacements.append((value, f"<{key}>"))
            if "." in value:
                replacements.append((value.replace(".", "-"), f"<{key}, dashed>"))
    if not replacements:
        return resources

    def replace(value: Any) -> Any:
        if isinstance(value, str):
            for old, new in replacements:
                value = value.replace(old, new)
            return value
        if isinstance(value, dict):
            return {replace(key): replace(item) for key, item in value.items()}
        if isinstance(value, list):
            return [replace(item) for item in value]
        return value

    normalized: dict[ResourceId, dict] = {}
    for identity, document in resources.items():
        document = replace(document)
        normalized[resource_id(document, Path(str(identity)))] = document
    return normalized


def placeholder_config_values(stack: str, root: Optional[Path]) -> dict[str, str]:
    """The stack's single config values that spread into many rendered strings, by key path."""
    from stack_checks.load import read_stack_file

    project = root if root is not None else Path(__file__).resolve().parents[1]
    values = read_stack_file(project / f"Pulumi.{stack}.yaml")
    found: dict[str, str] = {}
    routing = values.get("routing")
    if isinstance(routing, dict) and isinstance(routing.get("host"), str):
        found["routing.host"] = routing["host"]
    azure = values.get("azure")
    storage = azure.get("backupStorage") if isinstance(azure, dict) else None
    if isinstance(storage, dict) and isinstance(storage.get("accountName"), str):
        found["azure.backupStorage.accountName"] = storage["accountName"]
    return found


# --- comparing ---------------------------------------------------------------

class Difference(BaseModel):
    """One way two renders differ. `str()` is `<resource>: <path>: <left> != <right>`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    resource: str = Field(description="The resource's identity, e.g. `apps/v1 Deployment matrix/sol`. Required.")
    path: str = Field(description="Where in the document; `(resource)` for a resource on one side only. Required.")
    left: str = Field(description="The value in the first render, or `<absent>`. Required.")
    right: str = Field(description="The value in the second render, or `<absent>`. Required.")
    kind: Literal["resource", "structure", "value"] = Field(description="What differs. Required.")
    allowed_by: Optional[str] = Field(None, description="The allowlist reason that permits it. Default: not allowed.")

    def __str__(self) -> str:
        return f"{self.resource}: {self.path}: {self.left} != {self.right}"


ABSENT = "<absent>"
# Scalars are shown whole up to a generous length, so two digests can be told
# apart; a subtree on one side only is abbreviated, its path says where it is.
_MAX_SCALAR_SHOWN, _MAX_TREE_SHOWN = 300, 100


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    limit = _MAX_TREE_SHOWN if isinstance(value, (dict, list)) else _MAX_SCALAR_SHOWN
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _same_scalar(left: Any, right: Any) -> bool:
    # `1 == True` and `1 == 1.0` in Python; in a manifest they are different values.
    return type(left) is type(right) and left == right


def _names(items: list) -> Optional[list[str]]:
    """The items' `name`s if every item is a mapping with a unique string name, else None."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if names and all(isinstance(name, str) for name in names) and len(set(names)) == len(names):
        return names
    return None


class _Comparison:
    def __init__(self, identity: ResourceId, allowlist: Sequence[AllowedDifference]):
        self.identity = identity
        self.allowlist = [(entry, _PARSED_ALLOWLIST.get(entry) or parse_path_pattern(entry.path))
                          for entry in allowlist if fnmatchcase(identity.kind, entry.resource)]
        self.differences: list[Difference] = []

    def _allowed_by(self, path: tuple, kind: str, one_side_absent: bool) -> Optional[str]:
        for entry, pattern in self.allowlist:
            if kind == "value" or (kind == "structure" and one_side_absent and entry.presence):
                if path_matches(pattern, path):
                    return entry.reason
        return None

    def add(self, path: tuple, left: str, right: str, kind: str, one_side_absent: bool = False) -> None:
        self.differences.append(Difference(
            resource=str(self.identity), path=format_path(path), left=left, right=right, kind=kind,
            allowed_by=self._allowed_by(path, kind, one_side_absent),
        ))

    def compare(self, left: Any, right: Any, path: tuple = ()) -> None:
        if isinstance(left, dict) and isinstance(right, dict):
            for key in sorted(set(left) | set(right), key=str):
                if key not in right:
                    self.add(path + (key,), _show(left[key]), ABSENT, "structure", one_side_absent=True)
                elif key not in left:
                    self.add(path + (key,), ABSENT, _show(right[key]), "structure", one_side_absent=True)
                else:
                    self.compare(left[key], right[key], path + (key,))
        elif isinstance(left, list) and isinstance(right, list):
            self._compare_lists(left, right, path)
        elif isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
            self.add(path, _show(left), _show(right), "structure")
        elif not _same_scalar(left, right):
            self.add(path, _show(left), _show(right), "value")

    def _compare_lists(self, left: list, right: list, path: tuple) -> None:
        left_names, right_names = _names(left), _names(right)
        if left_names is not None and right_names is not None:
            by_name_left, by_name_right = dict(zip(left_names, left)), dict(zip(right_names, right))
            for name in left_names:
                if name not in by_name_right:
                    self.add(path + (NamedItem(name),), _show(by_name_left[name]), ABSENT, "structure", True)
            for name in right_names:
                if name not in by_name_left:
                    self.add(path + (NamedItem(name),), ABSENT, _show(by_name_right[name]), "structure", True)
            common_left = [name for name in left_names if name in by_name_right]
            common_right = [name for name in right_names if name in by_name_left]
            if common_left != common_right:
                # Order is meaning in containers (start order) and env (later refers to earlier).
                self.add(path, f"order {_show(common_left)}", f"order {_show(common_right)}", "structure")
            for name in common_left:
                self.compare(by_name_left[name], by_name_right[name], path + (NamedItem(name),))
        elif len(left) != len(right):
            self.add(path, f"{len(left)} items", f"{len(right)} items", "structure")
        else:
            for index, (left_item, right_item) in enumerate(zip(left, right)):
                self.compare(left_item, right_item, path + (index,))


def compare_resources(left: dict[ResourceId, dict], right: dict[ResourceId, dict],
                      allowlist: Sequence[AllowedDifference] = ALLOWED_DIFFERENCES,
                      *, include_allowed: bool = False) -> list[Difference]:
    """Differences between two sets of rendered resources, sorted; allowed ones only if asked for."""
    differences: list[Difference] = []
    for identity in sorted(set(left) | set(right), key=str):
        if identity not in right:
            differences.append(Difference(resource=str(identity), path="(resource)", left="present",
                                          right=ABSENT, kind="resource"))
        elif identity not in left:
            differences.append(Difference(resource=str(identity), path="(resource)", left=ABSENT,
                                          right="present", kind="resource"))
        else:
            comparison = _Comparison(identity, allowlist)
            comparison.compare(left[identity], right[identity])
            differences += comparison.differences
    return [difference for difference in differences if include_allowed or difference.allowed_by is None]


def compare_rendered(dir_a: Path, dir_b: Path, allowlist: Sequence[AllowedDifference] = ALLOWED_DIFFERENCES,
                     *, include_allowed: bool = False) -> list[Difference]:
    """Compare two directories written by `stackctl render`. Raises RenderedFilesError.

    Returns the differences the allowlist does not permit (all of them, each
    with `allowed_by` set or not, if `include_allowed`); empty means parity.
    """
    return compare_resources(load_rendered(dir_a), load_rendered(dir_b), allowlist,
                             include_allowed=include_allowed)


# --- the command -------------------------------------------------------------

def add_parser(subparsers) -> None:
    from stackctl.errors import stack_name

    parser = subparsers.add_parser(
        "parity", help="check that two stacks render the same resources, differing only in allowed values",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("stack_a", metavar="STACK_A", type=stack_name, help="first stack, e.g. staging")
    parser.add_argument("stack_b", metavar="STACK_B", type=stack_name, help="second stack, e.g. prod")
    parser.add_argument("--show-allowed", action="store_true",
                        help="also list the differences the allowlist permits, with the reason")


def run(args) -> int:
    from config_models.base import ConfigError
    from stackctl.render import render_stack  # heavy (Pulumi runtime): only when the verb runs

    from stackctl.errors import BadInput
    from stackctl.output_formats import plural, print_json, progress

    if args.stack_a == args.stack_b:
        raise BadInput("STACK_B", args.stack_b, "is STACK_A again; parity compares two different stacks, "
                       "e.g. `stackctl parity staging prod`")
    with tempfile.TemporaryDirectory(prefix="stackctl-parity-") as scratch:
        rendered = {}
        for step, stack in enumerate((args.stack_a, args.stack_b), start=1):
            progress(f"parity: rendering {stack} ({step}/2)")
            out_dir = Path(scratch) / stack
            try:
                render_stack(stack, out_dir, None, args.root)
            except ConfigError as error:
                from stackctl.errors import config_error_lines

                print("\n".join(config_error_lines(
                    error.problems, f"stack {stack} does not render; parity not checked")), file=sys.stderr)
                return 2
            rendered[stack] = with_config_values_as_placeholders(
                load_rendered(out_dir), placeholder_config_values(stack, args.root))
        progress(f"parity: comparing {args.stack_a} and {args.stack_b}")
        differences = compare_resources(rendered[args.stack_a], rendered[args.stack_b], include_allowed=True)

    findings = [difference for difference in differences if difference.allowed_by is None]
    allowed = [difference for difference in differences if difference.allowed_by is not None]
    counts = {stack: len(resources) for stack, resources in rendered.items()}
    if getattr(args, "output", "text") == "json":
        def as_json(difference: Difference) -> dict[str, Any]:
            return {"resource": difference.resource, "path": difference.path, "left": difference.left,
                    "right": difference.right, "kind": difference.kind, "allowedBy": difference.allowed_by}

        print_json("parity", {
            "left": args.stack_a, "right": args.stack_b,
            "resources": {args.stack_a: counts[args.stack_a], args.stack_b: counts[args.stack_b]},
            "differences": [as_json(difference) for difference in findings],
            "allowedDifferences": [as_json(difference) for difference in allowed],
        })
        return 1 if findings else 0
    # Findings are the verb's result: stdout, as `policy` prints violations; only the hint is a diagnostic.
    if args.show_allowed and allowed:
        print(f"allowed differences ({args.stack_a} != {args.stack_b}):")
        for difference in allowed:
            print(f"  {difference}    # {difference.allowed_by}")
    if findings:
        print(f"parity {args.stack_a} {args.stack_b}: {plural(len(findings), 'difference')} beyond config values "
              f"(left is {args.stack_a}, right is {args.stack_b}):")
        for difference in findings:
            print(f"  {difference}")
        print("fix the program or the stack config, or add a reasoned entry to ALLOWED_DIFFERENCES in "
              "stackctl/parity.py", file=sys.stderr)
        return 1
    print(f"parity {args.stack_a} {args.stack_b}: ok, {counts[args.stack_a]} resources on each side, "
          f"{plural(len(allowed), 'allowed difference')}")
    return 0

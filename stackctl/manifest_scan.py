"""Reading the manifests users actually have, for `stackctl policy --manifests PATH`.

PATH is one file or a directory searched recursively for `.yaml`, `.yml` and
`.json` files. Multi-document YAML, empty documents and `kind: List` (what
`kubectl get -o yaml|json` prints) are understood. Documents that are not
Kubernetes objects are skipped and reported as skipped, never flagged:
Helm's `Chart.yaml` and `values.yaml`, kustomize's `kustomization.yaml`.
A directory `stackctl render` wrote also has its Azure and Vault summaries
read (`.stackctl/cloud/*`, no suffix so that kubectl skips them), so the
pack's cloud policies see them too; its stack outputs are not resources. A file that does not parse (an unrendered Helm
template, a tab-indented file) is bad input, reported as `file:line: reason`:
it was not checked, so a clean result would be a lie.

YAML is parsed as kubectl's parser and libyaml do (`yaml.CSafeLoader`), so a
file kubectl applies is read, not refused: PyYAML's pure-Python scanner
rejects a tab before a trailing comment (`name: x<TAB># note`), libyaml
does not. An object with `metadata.generateName` and no `name` (what
`kubectl create` accepts for Jobs and Pods) is checked under the stable label
`<generateName>*`, never skipped: a privileged pod must not pass because the
server would pick its name. The API server's own objects in a cluster dump
(`default/kubernetes`: its Service, Endpoints and EndpointSlice) are skipped
and listed: no chart or user writes them, and they would be flagged for
living in `default`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

# libyaml's loader, as kubectl's parser behaves; PyYAML without libyaml falls back to its own scanner.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# apiVersion groups of files that configure tools rather than describe cluster objects.
_TOOL_CONFIG_GROUPS = ("kustomize.config.k8s.io/", "config.kubernetes.io/", "kpt.dev/")
# (apiVersion, kind) of the objects the API server keeps for itself as `default/kubernetes`.
_API_SERVER_OWN = {("v1", "Service"), ("v1", "Endpoints"), ("discovery.k8s.io/v1", "EndpointSlice"),
                   ("discovery.k8s.io/v1beta1", "EndpointSlice")}


@dataclass
class ManifestScan:
    """What a scan found: objects to check, documents skipped (with why), files that did not parse."""

    objects: list[Mapping[str, Any]] = field(default_factory=list)
    # Where each of `objects` starts: (file, 1-based line), for file/line locations in reports (SARIF).
    locations: list[tuple[Path, int]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unparsable: list[str] = field(default_factory=list)
    files: int = 0


def _is_kubernetes_object(document: Mapping[str, Any]) -> str:
    """'' if `document` is a Kubernetes object; otherwise why it is not."""
    api_version, kind = document.get("apiVersion"), document.get("kind")
    missing = [name for name, value in (("apiVersion", api_version), ("kind", kind))
               if not isinstance(value, str) or not value]
    if missing:
        return f"not a Kubernetes object (no {' and no '.join(missing)})"
    if api_version.startswith(_TOOL_CONFIG_GROUPS):
        return f"tool configuration ({api_version} {kind}), not a cluster object"
    metadata = document.get("metadata")
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        if not kind.endswith("List") and not _generate_name(document):
            return f"{kind} without metadata.name or metadata.generateName"
    elif (api_version, kind) in _API_SERVER_OWN and metadata.get("namespace") == "default" and \
            metadata["name"] == "kubernetes":
        return f"the API server's own {kind} (default/kubernetes), not a workload's"
    return ""


def _generate_name(document: Mapping[str, Any]) -> str:
    metadata = document.get("metadata")
    prefix = metadata.get("generateName") if isinstance(metadata, Mapping) else None
    return prefix if isinstance(prefix, str) and prefix else ""


def _named(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object, named `<generateName>*` when only metadata.generateName is set (the server picks the rest)."""
    metadata = document.get("metadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("name"), str) and metadata["name"]:
        return document
    prefix = _generate_name(document)
    return {**document, "metadata": {**metadata, "name": f"{prefix}*"}} if prefix else document


def _add_document(scan: ManifestScan, label: str, document: Any, source: Path = Path(), line: int = 1,
                  node: Any = None) -> None:
    if document is None:
        return  # an empty document, between two `---`
    if isinstance(document, Mapping) and {"type", "name", "inputs"} <= set(document):
        scan.objects.append(document)  # a `stackctl render` summary of an Azure or Vault resource
        scan.locations.append((source, line))
        return
    if not isinstance(document, Mapping):
        scan.skipped.append(f"{label}: a {type(document).__name__}, not a Kubernetes object")
        return
    kind = document.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in document:
        items = document["items"]
        if not isinstance(items, list):
            scan.skipped.append(f"{label}: {kind} whose items is not a list")
            return
        item_nodes = _list_item_nodes(node)
        for index, item in enumerate(items):
            item_node = item_nodes[index] if index < len(item_nodes) else None
            _add_document(scan, f"{label} items[{index}]", item, source,
                          item_node.start_mark.line + 1 if item_node is not None else line, item_node)
        return
    why_not = _is_kubernetes_object(document)
    if why_not:
        scan.skipped.append(f"{label}: {why_not}")
    else:
        scan.objects.append(_named(document))
        scan.locations.append((source, line))


def _list_item_nodes(node: Any) -> list:
    """The YAML nodes of a `kind: List` document's items, for their line numbers ([] when unknown)."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "items" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return []


def _mark(error: Exception) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return f":{mark.line + 1}" if mark is not None else ""


def _read_file(scan: ManifestScan, path: Path, shown: str) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        scan.unparsable.append(f"{shown}: not UTF-8 text (byte {error.start})")
        return
    except OSError as error:
        scan.unparsable.append(f"{shown}: cannot be read ({error.strerror})")
        return
    if path.suffix == ".json":
        try:
            _add_document(scan, shown, json.loads(text) if text.strip() else None, path)
        except json.JSONDecodeError as error:
            scan.unparsable.append(f"{shown}:{error.lineno}: not valid JSON: {error.msg}")
        except RecursionError:
            scan.unparsable.append(f"{shown}: JSON nested too deeply to read")
        return
    try:
        documents = list(yaml.load_all(text, Loader=YAML_LOADER))
    except yaml.YAMLError as error:
        reason = _yaml_reason(error)
        if "{{" in text:
            reason += " (it holds `{{`: an unrendered template? run `helm template` or `kustomize build` first)"
        elif _tab_at_mark(text, error):
            reason += " (a tab: YAML indents with spaces only)"  # libyaml's message does not name the character
        scan.unparsable.append(f"{shown}{_mark(error)}: not valid YAML: {reason}")
        return
    except (RecursionError, ValueError, OverflowError) as error:
        scan.unparsable.append(f"{shown}: not valid YAML: {type(error).__name__}: {error}")
        return
    # The same text composed again, for the line each document starts on (parsing succeeded just above).
    nodes = list(yaml.compose_all(text, Loader=YAML_LOADER))
    for index, document in enumerate(documents):
        node = nodes[index] if index < len(nodes) else None
        line = node.start_mark.line + 1 if node is not None else 1
        _add_document(scan, shown if len(documents) == 1 else f"{shown} (document {index + 1})", document,
                      path, line, node)


def _tab_at_mark(text: str, error: yaml.YAMLError) -> bool:
    mark = getattr(error, "problem_mark", None)
    lines = text.splitlines()
    return mark is not None and 0 <= mark.line < len(lines) and "\t" in lines[mark.line][:mark.column + 1]


def _yaml_reason(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    if problem is None:
        return str(error).splitlines()[0]
    return f"{problem} ({context})" if context else str(problem)


def scan_manifests(path: Path) -> ManifestScan:
    """Every Kubernetes object in `path` (a file, or a directory searched recursively). Raises OSError."""
    scan = ManifestScan()
    if path.is_dir():
        files = sorted(candidate for candidate in path.rglob("*")
                       if candidate.suffix in MANIFEST_SUFFIXES and candidate.is_file())
        base = path
    elif path.is_file():
        files, base = [path], path.parent
    else:
        raise FileNotFoundError(path)
    if path.is_dir():
        from stackctl.render import CLOUD_DIRECTORY

        files += sorted(summary for summary in (path / CLOUD_DIRECTORY).glob("*") if summary.is_file())
    for file in files:
        scan.files += 1
        _read_file(scan, file, str(file.relative_to(base)) if file != path else str(path))
    return scan

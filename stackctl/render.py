"""`stackctl render STACK --out DIR|-`: the offline render, with no cluster, cloud or Pulumi CLI.

The program (`components.stack.deploy_stack`) runs under Pulumi's mock
runtime, exactly as under the engine, and every resource it registers is
recorded with its inputs and resource options.

With `--out DIR`, Kubernetes objects are written as complete YAML documents
(`DIR/<namespace>/<Kind>-<name>.yaml`, cluster-scoped ones under
`DIR/_cluster/`), and nothing else under DIR is a manifest: every other
resource (Azure, Vault) is a summary (`DIR/.stackctl/cloud/<type>--<name>`:
type, name, inputs, options) and the stack outputs are `DIR/.stackctl/outputs`.
Those two hold YAML but carry no `.yaml` suffix on purpose: `kubectl apply -R
-f DIR` and kubeconform read every `.yaml`, `.yml` and `.json` file, hidden
directories included, and would fail on them. So the tree goes to those tools
as it is. Output is byte-for-byte deterministic.

With `--out -`, the Kubernetes objects are written to stdout as one YAML
stream in apply order (Namespaces, then the other cluster-scoped objects, then
the namespaced ones, each group in the order `helm template` uses), ready for
`kubectl apply -f -`; the summary line goes to stderr.

Config is fully validated before the mock runtime starts, and the output
directory is written only after the whole program has run, via a temporary
directory renamed into place: bad config renders nothing, and a failure never
leaves half a render behind.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RegisteredResource:
    """One custom resource as the engine would receive it."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: tuple[str, ...] = ()
    parent: str = ""


@dataclass
class RenderResult:
    resources: list[RegisteredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    providers: list[RegisteredResource] = field(default_factory=list)


# Computed outputs that other resources read; the mock returns a readable
# placeholder so the summary shows where each value comes from.
_COMPUTED_PLACEHOLDERS = {
    "azure-native:managedidentity:UserAssignedIdentity": ("clientId", "principalId", "tenantId"),
    "azure-native:keyvault:Vault": ("vaultUri",),
    "azure-native:containerservice:ManagedCluster": ("oidcIssuerProfile",),
}


def _placeholder(resource_type: str, name: str, prop: str) -> str:
    return f"${{{resource_type.split(':')[-1]}:{name}.{prop}}}"


# The wire form of a Pulumi secret value (pulumi.runtime.rpc's _special_sig_key / _special_secret_sig).
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"


def _to_plain(value: Any) -> Any:
    """Mock inputs may hold resource references or other SDK objects; keep only data."""
    if isinstance(value, dict) and value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE:
        # pulumi-kubernetes marks every Secret's data as a Pulumi secret; the
        # manifest holds the value itself (the program never has real secret
        # values: they come from OpenBao and Key Vault at run time).
        return _to_plain(value.get("value"))
    if isinstance(value, dict):
        return {str(key): _to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        # The wire format (protobuf Struct) carries every number as a double.
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    urn = getattr(value, "urn", None)
    return f"<resource {urn}>" if urn is not None else str(value)


def run_program_file(program: Path, stack: str, values: dict[str, Any],
                     referenced_outputs: Optional[dict[str, dict]] = None) -> RenderResult:
    """Run the Pulumi program file itself (`__main__.py`) under mocks, with `values` as its stack config.

    The very file the engine runs, so a resource someone adds to `__main__.py`
    by hand is rendered (and policy-checked) like every other.
    """
    import json
    import runpy

    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.settings import get_root_resource

    from config_models.stack import PROJECT_NAME

    # The engine hands config to the program as strings, objects JSON-encoded.
    set_all_config({f"{PROJECT_NAME}:{key}": value if isinstance(value, str) else json.dumps(value)
                    for key, value in values.items()})

    def run_main():
        runpy.run_path(str(program), run_name="__main__")
        return dict(get_root_resource().outputs)

    # The engine's Python host runs the program with its directory on sys.path, so the
    # program's own packages (stack_program, components, ...) import; do the same, whatever the cwd.
    program_directory = str(program.resolve().parent)
    added = program_directory not in sys.path
    if added:
        sys.path.insert(0, program_directory)
    # The program's warnings (pulumi.log.warn) are the engine's to show; offline there is no
    # engine, so they are collected here and shown once, by the verb.
    import pulumi

    warnings: list[str] = []
    engine_warn = pulumi.log.warn
    pulumi.log.warn = lambda message, *args, **kwargs: warnings.append(str(message))
    try:
        result = record_resources(run_main, stack, referenced_outputs)
    finally:
        pulumi.log.warn = engine_warn
        set_all_config({})
        if added:
            sys.path.remove(program_directory)
    result.warnings = list(dict.fromkeys(warnings))
    return result


def record_resources(program: Callable[[], Any], stack: str = "test",
                     referenced_outputs: Optional[dict[str, dict]] = None) -> RenderResult:
    """Run `program` under Pulumi's mock runtime; record every custom resource and what it returns."""
    import pulumi
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

    from config_models.stack import PROJECT_NAME

    result = RenderResult()

    class RecordingMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            if args.typ == "pulumi:pulumi:StackReference":
                # Offline, a referenced stack's outputs are those of its own offline render.
                name = args.inputs.get("name") or args.name
                return name, {"name": name, "outputs": (referenced_outputs or {}).get(name, {}),
                              "secretOutputNames": []}
            state = dict(args.inputs)
            if args.typ.startswith("azure-native:"):
                # Azure resources echo their name; children (a federated credential) read it.
                state.setdefault("name", args.inputs.get("resourceName") or args.inputs.get("vaultName") or args.name)
            for prop in _COMPUTED_PLACEHOLDERS.get(args.typ, ()):
                state.setdefault(prop, _placeholder(args.typ, args.name, prop))
            if args.typ == "azure-native:containerservice:ManagedCluster":
                state["oidcIssuerProfile"] = {"issuerURL": _placeholder(args.typ, args.name, "oidcIssuerURL")}
            resource_id = f"{args.name}-id" if args.typ.startswith("kubernetes:") else _placeholder(args.typ, args.name, "id")
            return resource_id, state

        def call(self, args: pulumi.runtime.MockCallArgs):
            return {}

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        def ReadResource(self, request):
            response = super().ReadResource(request)
            _WORKER_EVENT_LOOPS.add(_ensure_event_loop())
            return response

        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            _WORKER_EVENT_LOOPS.add(_ensure_event_loop())
            if request.custom:
                target = result.providers if request.type.startswith("pulumi:providers:") else result.resources
                target.append(RegisteredResource(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=_to_plain(pulumi_mocks.rpc.deserialize_properties(request.object)),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    ignore_changes=tuple(request.ignoreChanges),
                    parent=request.parent,
                ))
            return response

    mocks = RecordingMocks()
    # A fresh root Stack per run: its exports must not leak from an earlier run in this process.
    from pulumi.runtime.settings import set_root_resource
    set_root_resource(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT_NAME, stack=stack, preview=False,
                             monitor=RecordingMonitor(mocks))
    outputs: dict[str, Any] = {}

    def run_and_capture():
        exported = program()
        if not isinstance(exported, dict):  # a component, in tests: nothing to export
            exported = {}

        def capture(values):
            outputs.update(values)
        return pulumi.Output.from_input(exported).apply(capture)

    _sync_await(run_pulumi_func(lambda: _sync_await(pulumi.Output.from_input(run_and_capture()).future())))
    result.outputs = _to_plain(outputs)
    result.resources.sort(key=lambda resource: resource.urn)
    return result


# The mock monitor runs in executor threads and gives each an event loop
# (pulumi's `_ensure_event_loop`) that nothing closes; left to interpreter
# shutdown, their finalizers can print a spurious traceback after a clean run.
_WORKER_EVENT_LOOPS: set = set()


def close_worker_event_loops() -> None:
    """Close those loops explicitly; call once, when no more programs will run in this process."""
    while _WORKER_EVENT_LOOPS:
        loop = _WORKER_EVENT_LOOPS.pop()
        if not loop.is_running() and not loop.is_closed():
            loop.close()


def _is_kubernetes(resource: RegisteredResource) -> bool:
    return resource.type.startswith("kubernetes:")


def _manifest_path(resource: RegisteredResource) -> Path:
    metadata = resource.inputs.get("metadata") or {}
    namespace = metadata.get("namespace") or "_cluster"
    return Path(namespace) / f"{resource.inputs['kind']}-{metadata.get('name', resource.name)}.yaml"


# Where a render keeps what is not a Kubernetes object (see the module docstring for the names).
METADATA_DIRECTORY = Path(".stackctl")
OUTPUTS_FILE = METADATA_DIRECTORY / "outputs"
CLOUD_DIRECTORY = METADATA_DIRECTORY / "cloud"


def _summary_path(resource: RegisteredResource) -> Path:
    return CLOUD_DIRECTORY / f"{resource.type.replace(':', '-').replace('/', '-')}--{resource.name}"


# The kind order `helm template` writes in (helm's releaseutil.InstallOrder):
# what others refer to (namespaces, policies, accounts, config, storage,
# RBAC) before what runs. Unknown kinds, custom resources included, come last.
_APPLY_ORDER = (
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
    "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job",
    "CronJob", "IngressClass", "Ingress", "APIService",
)
_KIND_RANK = {kind: rank for rank, kind in enumerate(_APPLY_ORDER)}


def apply_order_key(document: dict) -> tuple:
    """Sort key of a Kubernetes object for one stream `kubectl apply -f -` takes in one pass.

    Namespaces first, then the other cluster-scoped objects, then the
    namespaced ones; within each group by kind (helm's order), namespace, name.
    """
    metadata = document.get("metadata") or {}
    kind = str(document.get("kind", ""))
    namespaced = bool(metadata.get("namespace"))
    group = 0 if kind == "Namespace" else (2 if namespaced else 1)
    return (group, _KIND_RANK.get(kind, len(_APPLY_ORDER)), kind, str(metadata.get("namespace") or ""),
            str(metadata.get("name", "")))


def kubernetes_stream(result: RenderResult) -> str:
    """The render's Kubernetes objects as one YAML stream, in apply order."""
    documents = sorted((resource.inputs for resource in result.resources if _is_kubernetes(resource)),
                       key=apply_order_key)
    return "".join(f"---\n{_dump(document)}" for document in documents)


def _dump(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False, width=100, allow_unicode=True)


# Written into every render: it names the stack and lists every file the render
# wrote, so a later render replaces the directory only when it holds nothing else.
RENDER_MARKER = ".stackctl-render"
_MARKER_HEADER = "# written by `stackctl render`; the next render replaces this directory only if it holds just these files\n"


def _marker_text(stack: str, written: list[Path]) -> str:
    return _MARKER_HEADER + _dump({"stack": stack, "files": [path.as_posix() for path in sorted(written)]})


def _render_files_listed(out_dir: Path) -> Optional[set[str]]:
    """The files a previous render wrote into `out_dir`, or None when `out_dir` is not a render."""
    try:
        marker = yaml.safe_load((out_dir / RENDER_MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    files = marker.get("files") if isinstance(marker, dict) else None
    if not isinstance(files, list) or not all(isinstance(item, str) for item in files):
        return None
    return set(files) | {RENDER_MARKER}


def check_output_directory(out_dir: Path, project_root: Path = PROJECT_ROOT, cwd: Optional[Path] = None) -> None:
    """Refuse (BadInput, nothing touched) unless `out_dir` is absent, empty, or exactly a previous render.

    A render replaces its output directory as a whole; pointed at anything
    else (`--out .` in a checkout, a home directory, a file) it would delete
    what it did not write.
    """
    from stackctl.errors import BadInput

    given = out_dir
    out_dir = Path(os.path.abspath(out_dir))
    resolved = out_dir.resolve()
    cwd = (cwd or Path.cwd()).resolve()
    project_root = project_root.resolve()
    if out_dir.is_symlink():
        raise BadInput("--out", given, "is a symbolic link; give the directory itself or a new path")
    if resolved == project_root or project_root.is_relative_to(resolved):
        raise BadInput("--out", given, f"is the project root {project_root} or contains it; "
                       "render into a new directory such as rendered/<stack>")
    if cwd.is_relative_to(resolved):
        raise BadInput("--out", given, "is the current directory or one of its parents; "
                       "render into a new directory such as rendered/<stack>")
    if not resolved.exists():
        for parent in resolved.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise BadInput("--out", given, f"{parent} is a file, not a directory; choose another path")
                break
        return
    if not resolved.is_dir():
        raise BadInput("--out", given, "is an existing file, not a directory; "
                       "remove it or render into a new directory")
    try:
        entries = sorted(entry.name for entry in resolved.iterdir())
    except OSError as error:
        raise BadInput("--out", given, f"cannot be read ({error.strerror}); fix its permissions or choose "
                       "another directory") from None
    if not entries:
        return
    listed = _render_files_listed(resolved)
    if listed is None:
        # Refused from the top level alone: no walk of a large tree (a home directory) to say no.
        raise BadInput("--out", given, f"holds files that `stackctl render` did not write (no {RENDER_MARKER} "
                       f"marker), e.g. {entries[0]!r}; render into a new or empty directory, it replaces its "
                       "output as a whole")
    present = {path.relative_to(resolved).as_posix() for path in resolved.rglob("*") if not path.is_dir()}
    present |= {path.relative_to(resolved).as_posix() + "/" for path in resolved.rglob("*")
                if path.is_dir() and not any(path.iterdir())}
    foreign = sorted(present - listed)
    if foreign:
        raise BadInput("--out", given, f"is a previous render but also holds {len(foreign)} file(s) it did not "
                       f"write, e.g. {foreign[0]!r}; move them out first: the render replaces the directory "
                       "as a whole")


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_render(result: RenderResult, out_dir: Path, stack: str = "") -> list[Path]:
    """Write into a temporary sibling directory, then swap it into place (check_output_directory first)."""
    check_output_directory(out_dir)
    out_dir = Path(os.path.abspath(out_dir))
    # The outermost parent that does not exist yet: removed again if the render fails, so a
    # failure leaves the file system as it found it.
    created_parent = next((parent for parent in reversed(out_dir.parents) if not parent.exists()), None)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging_dir = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except BaseException:
        if created_parent is not None:
            shutil.rmtree(created_parent, ignore_errors=True)
        raise
    written: list[Path] = []
    try:
        for resource in result.resources:
            if _is_kubernetes(resource):
                relative, document = _manifest_path(resource), resource.inputs
            else:
                relative = _summary_path(resource)
                document = {
                    "type": resource.type,
                    "name": resource.name,
                    "inputs": resource.inputs,
                    "options": {
                        "protect": resource.protect,
                        "retainOnDelete": resource.retain_on_delete,
                        "deleteBeforeReplace": resource.delete_before_replace,
                        "ignoreChanges": list(resource.ignore_changes),
                    },
                }
            target = staging_dir / relative
            if target.exists():
                raise RuntimeError(f"two resources render to {relative}; names must be unique per kind")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_dump(document), encoding="utf-8")
            written.append(relative)
        (staging_dir / OUTPUTS_FILE).parent.mkdir(parents=True, exist_ok=True)
        (staging_dir / OUTPUTS_FILE).write_text(_dump(result.outputs), encoding="utf-8")
        written.append(OUTPUTS_FILE)
        (staging_dir / RENDER_MARKER).write_text(_marker_text(stack, written), encoding="utf-8")
        # mkdtemp made it 0700; the render is for other tools and users, as any directory they create.
        staging_dir.chmod(0o777 & ~_current_umask())
        # The old render moves aside first and is deleted only once the new one is in place.
        previous = None
        if out_dir.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
            out_dir.rename(previous / "render")
        try:
            staging_dir.rename(out_dir)
        except BaseException:
            if previous is not None:
                (previous / "render").rename(out_dir)
            raise
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging_dir, ignore_errors=True)
        if created_parent is not None:
            shutil.rmtree(created_parent, ignore_errors=True)
        raise
    return sorted(written)


def _no_progress(message: str) -> None:
    pass


def check_project_root(root: Optional[Path], stack: str, config_file: Optional[Path] = None) -> None:
    """Refuse (BadInput) a --root that is no project, or a stack that has no file there, listing the stacks."""
    from stack_checks.load import stack_names
    from stackctl.errors import BadInput

    if root is not None and not (root / "Pulumi.yaml").is_file():
        raise BadInput("--root", root, "holds no Pulumi.yaml; give the project directory (the one with Pulumi.yaml "
                       "and the Pulumi.<stack>.yaml files)")
    if config_file is None and not ((root or PROJECT_ROOT) / f"Pulumi.{stack}.yaml").exists():
        names = stack_names(root or PROJECT_ROOT)
        where = f"--root {root}" if root is not None else str(PROJECT_ROOT)
        raise BadInput("stack", stack, f"has no Pulumi.{stack}.yaml in {where} (stacks: "
                       f"{', '.join(names) or 'none'}){'; check --root' if root is not None else ''}")


def collect_resources(stack: str, config_file: Optional[Path] = None, root: Optional[Path] = None,
                      progress: Callable[[str], None] = _no_progress) -> RenderResult:
    """Validate the stack's config, then run the program under mocks. Raises ConfigError."""
    from stack_checks.load import load_stack

    from stack_checks.stack_rules import stack_warnings
    from stack_checks.load import read_stack_file

    check_project_root(root, stack, config_file)
    root = root or PROJECT_ROOT
    stack_file = config_file if config_file is not None else root / f"Pulumi.{stack}.yaml"
    # Validate first, outside the mock runtime: bad config renders nothing.
    progress(f"render: validating the config of {stack}")
    config, _ = load_stack(root, stack, config_file)
    progress(f"render: running the program of {stack} under the mock runtime")
    result = run_program_file(root / "__main__.py", stack, read_stack_file(stack_file))
    check_rendered_names(result)
    # The program warns through the engine; the same rules are asked again so that a program
    # file that does not warn still shows them, and each shows once.
    result.warnings = list(dict.fromkeys([*result.warnings, *stack_warnings(config)]))
    return result


# `--out -`: the Kubernetes objects to stdout, as `helm template` does.
STDOUT = Path("-")


def check_rendered_names(result: RenderResult) -> None:
    """The API server's name and label rules on every rendered object (`api_server_name_limits`). Raises ConfigError.

    The config-time check covers the names each kind declares it derives;
    this one covers every object, so a derived name no fact declares yet is
    still caught before anything is written.
    """
    from config_models.api_server_name_limits import manifest_name_problems
    from config_models.base import ConfigError

    problems = [f"rendered {problem}" for resource in result.resources if _is_kubernetes(resource)
                for problem in manifest_name_problems(resource.inputs)]
    if problems:
        raise ConfigError(problems)


def render_stack(stack: str, out_dir: Path, config_file: Optional[Path] = None,
                 root: Optional[Path] = None, progress: Callable[[str], None] = _no_progress) -> RenderResult:
    if out_dir == STDOUT:
        return collect_resources(stack, config_file, root, progress)
    check_output_directory(out_dir)  # before the (slow) program run, and again before writing
    result = collect_resources(stack, config_file, root, progress)
    progress(f"render: writing {len(result.resources) + 1} files to {out_dir}")
    result.files = write_render(result, out_dir, stack)
    return result


def add_parser(subparsers) -> None:
    from stackctl.errors import stack_name

    parser = subparsers.add_parser("render", help="render a stack offline (mock runtime) to YAML",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", type=stack_name, help="stack name: staging or prod (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--out", type=Path, required=True,
                        help="output directory: absent, empty, or a previous render (replaced as a whole; "
                             "anything else is refused); `-` writes the Kubernetes objects to stdout as one YAML "
                             "stream in apply order")
    parser.add_argument("--config-file", type=Path, help="read this stack file instead of Pulumi.<stack>.yaml")


def run(args) -> int:
    from pulumi import RunError

    from config_models.base import ConfigError
    from stackctl.errors import BadInput
    from stackctl.output_formats import print_json, progress

    if args.out == STDOUT and args.output == "json":
        raise BadInput("--output", "json", "`--out -` writes the YAML stream to stdout; use --out DIR with "
                                           "--output json, or --output text")
    try:
        result = render_stack(args.stack, args.out, args.config_file, args.root, progress)
    except RunError as error:
        # Raised by the program itself (the provenance gate): a finding, not a crash.
        print(f"error: {error}\nnothing was rendered", file=sys.stderr)
        return 2
    except ConfigError as error:
        from stackctl.errors import config_error_lines

        source = args.config_file or f"Pulumi.{args.stack}.yaml"
        print("\n".join(config_error_lines(error.problems, f"invalid config in {source}; nothing was rendered")),
              file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    kubernetes = sum(1 for resource in result.resources if _is_kubernetes(resource))
    summary = (f"rendered stack {args.stack}: {kubernetes} Kubernetes objects, "
               f"{len(result.resources) - kubernetes} cloud resource summaries -> {args.out}")
    if args.out == STDOUT:
        sys.stdout.write(kubernetes_stream(result))
        sys.stdout.flush()
        print(summary, file=sys.stderr)  # stdout is the stream alone
    elif args.output == "json":
        print_json("render", {
            "stack": args.stack,
            "out": str(args.out),
            "kubernetesObjects": kubernetes,
            "cloudResources": len(result.resources) - kubernetes,
            "files": [path.as_posix() for path in result.files],
            "warnings": list(result.warnings),
        })
    else:
        print(summary)
    return 0

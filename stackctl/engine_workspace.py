"""The real Pulumi engine on a scratch copy of the project, driven through the Automation API.

Users run the program with the official CLI and its Python language host
(`pulumi up`, `__main__.py`). Where only the CLI is installed (this
project's tests build it from the Go module proxy, which serves no language
host; docs/engine.md), the Automation API runs the same program as an inline
program: its language server lives in this Python process and the CLI is
called with `--client`. Both routes run `stack_program.run_stack_program`.

Everything happens in a scratch copy, never in the repository: `pulumi stack
init` rewrites a stack file (it replaces `secretsprovider:` with a passphrase
salt), and a local cluster cannot run Azure or Vault. The copy holds
the program (`__main__.py` and `PROGRAM_PACKAGES`),
`Pulumi.yaml`, the stack files, `config/` and `releases/`; each stack file is
the repository's with exactly two local changes (`local_stack_file_text`):
no `secretsprovider:` line (the Key Vault key cannot be reached; a
local-only passphrase encrypts the throwaway state instead) and
`platform:kubernetes.skipCloudResourcesWithoutPlugins: true` (the Azure and
Vault resources are skipped with a warning; the Kubernetes half runs for real).
`sync_scratch_project` refreshes the copy from the repository before each run
and keeps the salt the local backend wrote. Deliberately left out: any other
change to the config (what runs is what the repository says).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
BUILD_ENGINE = ROOT / "scripts" / "build-engine"
POLICY_PACK = ROOT / "policies" / "run-policy-pack"
PROJECT_NAME = "platform"

# A passphrase for throwaway local state ONLY: real stacks encrypt with their
# Key Vault key (the stack files' `secretsprovider:`, docs/ci-credentials.md).
LOCAL_PASSPHRASE = "stackctl-local-only"

# What the local copy adds to each stack file's `config:` block.
LOCAL_CONFIG = "  platform:kubernetes:\n    skipCloudResourcesWithoutPlugins: true\n"
_SALT = re.compile(r"^encryptionsalt: .*$", re.M)


def local_cluster_env(state_dir: str) -> dict[str, str]:
    """Variables for a `scripts/local-cluster` of its own: a state directory and ports nothing listens on.

    Fixed ports collided with other clusters on shared machines. Each port
    is held until all are chosen, so the five differ.
    """
    probes = [socket.socket() for _ in range(5)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        ports = [str(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()
    names = ("STACKCTL_ETCD_PORT", "STACKCTL_ETCD_PEER_PORT", "STACKCTL_APISERVER_PORT",
             "STACKCTL_CONTROLLER_MANAGER_PORT", "STACKCTL_SCHEDULER_PORT")
    return {"STACKCTL_CLUSTER_DIR": state_dir, **dict(zip(names, ports))}


def built_engine() -> tuple[Optional[Path], str]:
    """The engine directory `scripts/build-engine` built (holding bin/pulumi), or None and why not."""
    proc = subprocess.run([str(BUILD_ENGINE), "--check"], capture_output=True, text=True, timeout=60)
    if proc.returncode == 0 and proc.stdout.strip():
        return Path(proc.stdout.strip().splitlines()[-1]).parent, ""
    return None, "\n".join(line.removeprefix("build-engine: ") for line in proc.stderr.splitlines())


def local_stack_file_text(text: str, path: Path) -> str:
    """The repository's stack file with the two local changes (module docstring)."""
    if "platform:kubernetes:" in text:
        raise ValueError(f"{path}: already sets platform:kubernetes; merge skipCloudResourcesWithoutPlugins into it")
    if not re.search(r"^config:\s*$", text, re.M):
        raise ValueError(f"{path}: has no top-level `config:` block")
    lines = [line for line in text.splitlines() if not line.startswith("secretsprovider:")]
    return "\n".join(lines).rstrip("\n") + "\n" + LOCAL_CONFIG


# The program's code: its packages, top layer first (README, "Layout"; .importlinter).
PROGRAM_PACKAGES = ("stack_program", "components", "stack_checks", "config_models", "platform_facts")


def sync_scratch_project(root: Path, dest: Path, stacks: tuple[str, ...] = ("staging", "prod")) -> None:
    """Copy (or refresh) what the program reads into `dest`; the repository is only read."""
    dest.mkdir(parents=True, exist_ok=True)
    # The program too, so that the copy is a project the CLI route and
    # `stackctl ... --root` can run (the inline program runs this checkout's).
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy2(root / name, dest / name)
    for name in (*PROGRAM_PACKAGES, "config", "releases"):  # code; mounted files; the ledger
        if (dest / name).exists():
            shutil.rmtree(dest / name)
        if (root / name).is_dir():
            shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for stack in stacks:
        source = root / f"Pulumi.{stack}.yaml"
        target = dest / f"Pulumi.{stack}.yaml"
        text = local_stack_file_text(source.read_text(encoding="utf-8"), source)
        # The salt the local backend wrote at `stack init`: without it the
        # state's secrets cannot be decrypted on the next run.
        salt = _SALT.search(target.read_text(encoding="utf-8")) if target.exists() else None
        if salt:
            text += salt.group(0) + "\n"
        target.write_text(text, encoding="utf-8")


@dataclass
class EngineResult:
    """One engine operation: what it printed, whether it succeeded, and the steps it reported."""

    operation: str
    returncode: int
    output: str
    seconds: float
    steps: list[dict[str, Any]] = field(default_factory=list)  # {"op": ..., "urn": ..., "type": ...}
    change_summary: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    # The engine's diagnostics ({"urn"?, "message", "severity"}), as `pulumi preview --json` lists them.
    diagnostics: list[dict[str, str]] = field(default_factory=list)

    def preview_json(self) -> dict[str, Any]:
        """The steps in the shape of `pulumi preview --json` (op, urn, oldState/newState with type and inputs),
        and its `diagnostics`: a refused preview (a protected claim it would replace) still lists the steps
        it refused, and the refusal is an error diagnostic on that resource's URN.

        The Automation API reports the engine's step events, not that
        document; `stackctl risk --preview` reads this the same way.
        """
        return {"steps": [{key: value for key, value in step.items() if key != "type"} for step in self.steps],
                "diagnostics": [dict(diagnostic) for diagnostic in self.diagnostics],
                "changeSummary": dict(self.change_summary)}

    def describe(self) -> str:
        return (f"{self.operation} exited {self.returncode} after {self.seconds:.0f}s\n"
                f"--- output\n{self.output[-20000:]}")


@dataclass
class EngineWorkspace:
    """The scratch project, its file backend, and the engine that runs it."""

    project_dir: Path
    state_dir: Path
    engine_dir: Path
    kubeconfig: Optional[str] = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {
            "PULUMI_BACKEND_URL": f"file://{self.state_dir}",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            # Not PULUMI_SKIP_CONFIRMATIONS: the CLI reads it as --yes, which it refuses
            # together with `destroy --preview-only` (the preview `run` makes first).
            # No plugin downloads (there is no route to them here): a missing
            # plugin is an error, never a silent fetch.
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # The Kubernetes provider the engine build made: an ambient plugin,
            # taken whatever version the SDK asks for (docs/engine.md).
            "PATH": f"{self.engine_dir / 'plugins'}{os.pathsep}{os.environ.get('PATH', '')}",
            "NO_COLOR": "1",
        }
        if not os.environ.get("PULUMI_CONFIG_PASSPHRASE") and not os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
            env["PULUMI_CONFIG_PASSPHRASE"] = LOCAL_PASSPHRASE
        if self.kubeconfig:
            env["KUBECONFIG"] = self.kubeconfig
        env.update(self.extra_env)
        return env

    def stack(self, name: str, program: Optional[Callable[[], None]] = None):
        """The stack, created on first use, running the program inline."""
        from pulumi import automation as auto

        from stack_program import run_stack_program

        self.state_dir.mkdir(parents=True, exist_ok=True)
        project_dir = self.project_dir
        opts = auto.LocalWorkspaceOptions(
            work_dir=str(project_dir),
            pulumi_home=str(self.engine_dir / "home"),
            env_vars=self.env,
            pulumi_command=auto.PulumiCommand(root=str(self.engine_dir), skip_version_check=True),
        )
        return auto.create_or_select_stack(
            stack_name=name, project_name=PROJECT_NAME,
            program=program or (lambda: run_stack_program(project_dir)), opts=opts)

    def run(self, operation: str, stack: str, *, policy_config: Optional[Path] = None,
            on_output: Optional[Callable[[str], None]] = None, **kwargs) -> EngineResult:
        """`preview`, `up` or `destroy` of `stack`; never raises for the engine's own failures.

        `up` and `destroy` preview first and stop if the preview fails, as the
        CLI does by default: the Automation API passes `--skip-preview`, and
        then the engine applies every step it can before the one it refuses
        (a destroy deletes all the unprotected resources before the first
        protected claim stops it). With the preview first, a refused step
        changes nothing.
        """
        if policy_config is not None and operation != "destroy":
            kwargs.update(policy_packs=[str(POLICY_PACK)], policy_pack_configs=[str(policy_config)])
        handle = self.stack(stack)
        start = time.monotonic()
        if operation in ("up", "destroy"):
            first = (self._call(handle, "preview", on_output, kwargs) if operation == "up" else
                     self._call(handle, "destroy", on_output, {**kwargs, "preview_only": True}))
            if first.returncode != 0:
                first.operation = f"{operation} (its preview)"
                return first
        result = self._call(handle, operation, on_output, kwargs)
        result.seconds = time.monotonic() - start
        return result

    @staticmethod
    def _call(handle, operation: str, on_output, kwargs) -> EngineResult:
        from pulumi import automation as auto

        steps: list[dict[str, Any]] = []
        diagnostics: list[dict[str, str]] = []

        def on_event(event) -> None:
            diagnostic = getattr(event, "diagnostic_event", None)
            # What `pulumi preview --json` keeps: every diagnostic but debug and ephemeral ones, prefix included.
            if diagnostic is not None and not diagnostic.ephemeral and diagnostic.severity != "debug":
                diagnostics.append({**({"urn": diagnostic.urn} if diagnostic.urn else {}),
                                    "message": (diagnostic.prefix or "") + diagnostic.message,
                                    "severity": diagnostic.severity})
            pre = getattr(event, "resource_pre_event", None)
            if pre is not None and pre.metadata is not None:
                step = {"op": str(getattr(pre.metadata.op, "value", pre.metadata.op)),
                        "urn": pre.metadata.urn, "type": pre.metadata.type}
                # The states as `pulumi preview --json` writes them (type and inputs), for `stackctl risk`.
                for key, state in (("oldState", pre.metadata.old), ("newState", pre.metadata.new)):
                    if state is not None:
                        step[key] = {"type": state.type, "urn": state.urn, "inputs": dict(state.inputs or {})}
                steps.append(step)

        start = time.monotonic()
        try:
            result = getattr(handle, operation)(on_event=on_event, on_output=on_output, color="never", **kwargs)
        except auto.errors.CommandError as error:
            return EngineResult(operation, 1, str(error), time.monotonic() - start, steps, diagnostics=diagnostics)
        seconds = time.monotonic() - start
        summary: dict[str, int] = {}
        outputs: dict[str, Any] = {}
        if operation == "preview":
            summary = {str(getattr(k, "value", k)): v for k, v in (result.change_summary or {}).items()}
        else:
            summary = {str(getattr(k, "value", k)): v
                       for k, v in ((result.summary.resource_changes if result.summary else None) or {}).items()}
            outputs = {k: v.value for k, v in (getattr(result, "outputs", None) or {}).items()}
        return EngineResult(operation, 0, result.stdout + result.stderr, seconds, steps, summary, outputs, diagnostics)

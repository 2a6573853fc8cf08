"""Helpers for the real-engine end-to-end tests: the routes the program runs by, the cluster, the project copy."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from secret_chain_harness import STAND_IN_LABEL, stand_in_spec, wait_until
from stackctl.engine_workspace import EngineResult, EngineWorkspace, sync_scratch_project

ROOT = Path(__file__).resolve().parents[2]
LOCAL_CLUSTER = ROOT / "scripts" / "local-cluster"
GENERATE_CRDS = ROOT / "scripts" / "generate-crds"
POLICIES = ROOT / "policies"
POLICY_PACK = POLICIES / "run-policy-pack"

# What a run of the program looks like when Python itself failed, as opposed
# to the program reporting a problem through pulumi.RunError.
TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Kubectl:
    binary: str
    kubeconfig: str

    def __call__(self, *args: str, check: bool = True, timeout: float = 240,
                 input: Optional[str] = None) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.binary, f"--kubeconfig={self.kubeconfig}", *args],
                              capture_output=True, text=True, timeout=timeout, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self("get", *args, "-o", "json").stdout)

    def exists(self, *args: str) -> bool:
        return self("get", *args, check=False).returncode == 0


class FakeIngressController:
    """Stands in for ingress-nginx: gives every Ingress a load-balancer address.

    The Kubernetes provider waits for `status.loadBalancer.ingress` before it
    calls an Ingress created; with no controller on the local cluster (kwok
    simulates nodes, nothing serves traffic) it would wait its full timeout.
    This thread writes the status subresource the way a controller does.
    """

    def __init__(self, kubectl: Kubectl, interval: float = 2.0):
        self.kubectl, self.interval = kubectl, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-ingress-controller", daemon=True)
        self.patched: set[str] = set()

    def __enter__(self) -> "FakeIngressController":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        status = json.dumps({"status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}})
        while not self._stop.wait(self.interval):
            try:
                items = self.kubectl.json("ingress", "--all-namespaces")["items"]
            except Exception:  # the API server may be restarting; try again
                continue
            for item in items:
                if item.get("status", {}).get("loadBalancer", {}).get("ingress"):
                    continue
                meta = item["metadata"]
                self.kubectl("patch", "ingress", meta["name"], "-n", meta["namespace"], "--subresource=status",
                             "--type=merge", "-p", status, check=False)
                self.patched.add(f"{meta['namespace']}/{meta['name']}")


ENGINE_ROUTES = ("automation", "cli")


def full_installation() -> tuple[Optional[Path], str]:
    """A `pulumi` on PATH with its Python language host beside it (as users install it), or None and why not."""
    cli = shutil.which("pulumi")
    host = shutil.which("pulumi-language-python")
    if cli and host:
        return Path(cli).parent, ""
    return None, ("the CLI route needs a full Pulumi installation on PATH (pulumi and pulumi-language-python, as "
                  "users install it); " + ("no pulumi-language-python" if cli else "no pulumi") + " on PATH here. "
                  "The Go module proxy serves no Python language host, so this machine cannot build one")


@dataclass
class Result:
    """What the CLI printed for one command (the non-program commands run through the CLI on both routes)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (f"pulumi {' '.join(self.args)} exited {self.returncode} after {self.seconds:.0f}s\n"
                f"--- stdout\n{self.stdout[-12000:]}\n--- stderr\n{self.stderr[-12000:]}")

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Project:
    """The scratch project, its own file backend, and the route the program runs by.

    `route` "automation": the program runs as an Automation API inline program
    (stackctl/engine_workspace.py) with the engine scripts/build-engine built;
    "cli": `pulumi preview/up/destroy` in the project directory with a full
    installation from PATH (the language host runs `__main__.py`). Commands
    that run no program (config, outputs, export, history, state) go through
    the CLI on both routes.
    """

    workspace: EngineWorkspace
    route: str
    cli_bin: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def dir(self) -> Path:
        return self.workspace.project_dir

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.workspace.env)
        env["PULUMI_HOME"] = str(self.workspace.engine_dir / "home")
        env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        env.pop("PULUMI_ACCESS_TOKEN", None)
        return env

    def pulumi(self, *args: str, stack: Optional[str] = None, check: bool = True, timeout: float = 1500) -> Result:
        argv = list(args) + (["--stack", stack] if stack is not None else []) + ["--non-interactive", "--color=never"]
        start = time.monotonic()
        proc = subprocess.run([str(self.cli_bin / "pulumi"), *argv], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        result = Result(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
        if check and result.returncode != 0:
            raise AssertionError(result.describe())
        return result

    def run(self, operation: str, stack: str, *, policy: bool = False, check: bool = True) -> EngineResult:
        """preview, up or destroy of `stack` by this project's route, with the policy pack if asked."""
        config = POLICIES / "config" / f"{stack}.json" if policy else None
        if self.route == "automation":
            result = self.workspace.run(operation, stack, policy_config=config)
        else:
            result = self._run_cli(operation, stack, config)
        if check and result.returncode != 0:
            raise AssertionError(result.describe())
        return result

    def _run_cli(self, operation: str, stack: str, config: Optional[Path]) -> EngineResult:
        args = [operation] + (["--json"] if operation == "preview" else ["--yes", "--skip-preview"])
        if config is not None:
            args += ["--policy-pack", str(POLICY_PACK), "--policy-pack-config", str(config)]
        done = self.pulumi(*args, stack=stack, check=False)
        steps, summary, diagnostics = [], {}, []
        if operation == "preview":
            # `pulumi preview --json` prints its document when the preview fails too (a refused step).
            try:
                preview = done.json()
            except ValueError:
                preview = {}
            steps = [{"op": s.get("op"), "urn": s.get("urn"), "type": resource_type(s.get("urn", "::::")),
                      **{key: s[key] for key in ("oldState", "newState") if s.get(key)}}
                     for s in preview.get("steps") or []]
            summary = preview.get("changeSummary") or {}
            diagnostics = [{key: d[key] for key in ("urn", "message", "severity") if d.get(key)}
                           for d in preview.get("diagnostics") or []]
        return EngineResult(operation, done.returncode, done.output, done.seconds, steps, summary,
                            diagnostics=diagnostics)

    # --- the stack files of the copy -------------------------------------------
    def stack_file(self, stack: str) -> Path:
        return self.dir / f"Pulumi.{stack}.yaml"

    def outputs(self, stack: str) -> dict[str, Any]:
        return self.pulumi("stack", "output", "--json", "--show-secrets", stack=stack).json()

    def state(self, stack: str) -> list[dict[str, Any]]:
        return self.pulumi("stack", "export", stack=stack).json()["deployment"].get("resources") or []


KEY_VAULT_STORE_TYPE = "kubernetes:external-secrets.io/v1:SecretStore"


@dataclass
class StandInStoreWorkspace(EngineWorkspace):
    """The engine workspace whose inline program swaps each Azure Key Vault SecretStore for a stand-in.

    Azure Key Vault cannot run here. A resource transform, registered before the program runs,
    replaces the `spec` of every SecretStore whose provider is `azurekv` by an ESO `fake`
    provider holding a test value for each Key Vault secret the stack's ExternalSecrets read
    through it (secret_chain_harness.stand_in_spec), and labels it as a stand-in. Its name and
    namespace stay, so the ExternalSecrets, unchanged, resolve to it. The engine registers the
    stand-in, so the state and the cluster agree (no out-of-band edit for a later `up` to meet).
    `stand_ins`: stack -> (namespace, store name) -> remote keys; a stack not in it runs as declared.
    """

    stand_ins: dict[str, dict[tuple[str, str], list[str]]] = field(default_factory=dict)

    def stack(self, name: str, program=None):
        if program is None and name in self.stand_ins:
            import pulumi

            from stack_program import run_stack_program

            stores, project_dir = self.stand_ins[name], self.project_dir

            def swap_key_vault_store(args):
                spec = args.props.get("spec") or {}
                if args.type_ != KEY_VAULT_STORE_TYPE or "azurekv" not in (spec.get("provider") or {}):
                    return None
                metadata = args.props["metadata"]
                where = (metadata["namespace"], metadata["name"])
                if where not in stores:
                    raise ValueError(f"SecretStore {where[0]}/{where[1]}: no ExternalSecret of the render reads "
                                     f"through it, so its stand-in would hold nothing (stores known: {sorted(stores)})")
                labels = {**(metadata.get("labels") or {}), **STAND_IN_LABEL}
                return pulumi.ResourceTransformResult(
                    props={**args.props, "metadata": {**metadata, "labels": labels},
                           "spec": stand_in_spec(stores[where])},
                    opts=args.opts)

            def program():
                from pulumi.runtime._callbacks import _CallbackServicer

                # The SDK keeps each run's callbacks server (it serves the transform) in a class-level list
                # and stops every one listed when a run ends. A run the engine cancels (a refused preview)
                # leaves its server behind, bound to that run's closed event loop, and the next run's stop
                # then fails: "attached to a different loop" (pulumi 3.x, measured here). Each inline run
                # makes its own server, so the earlier runs' entries are dropped first.
                _CallbackServicer._servicers.clear()
                pulumi.runtime.register_resource_transform(swap_key_vault_store)
                run_stack_program(project_dir)
        return super().stack(name, program)


def make_project(dest: Path, engine_dir: Path, state_dir: Path, kubeconfig: str, route: str,
                 stand_ins: Optional[dict[str, dict[tuple[str, str], list[str]]]] = None) -> Project:
    """The scratch copy (stackctl/engine_workspace.py); the repository's own stack files are never touched.

    `stand_ins`: the Key Vault stores to swap, per stack (StandInStoreWorkspace); the automation
    route only, as the CLI route runs `__main__.py` unchanged."""
    sync_scratch_project(ROOT, dest)
    state_dir.mkdir(parents=True, exist_ok=True)
    workspace = (StandInStoreWorkspace(dest, state_dir, engine_dir, kubeconfig, stand_ins=stand_ins)
                 if stand_ins and route == "automation" else EngineWorkspace(dest, state_dir, engine_dir, kubeconfig))
    if route == "cli":
        cli_bin, why = full_installation()
        assert cli_bin is not None, why
        (dest / ".venv").symlink_to(ROOT / ".venv")  # Pulumi.yaml: virtualenv: .venv, for the language host
    else:
        cli_bin = engine_dir / "bin"
    return Project(workspace, route, cli_bin)


def change_summary(result: EngineResult) -> dict[str, int]:
    return result.change_summary


def steps(result: EngineResult, op: Optional[str] = None) -> list[dict[str, Any]]:
    return [s for s in result.steps if op is None or s.get("op") == op]


def resource_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def wait_for(predicate, what: str, timeout: float = 300, interval: float = 2.0):
    """secret_chain_harness.wait_until with this directory's argument order and a coarser poll."""
    return wait_until(what, predicate, timeout, interval)


DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

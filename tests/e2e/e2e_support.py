"""Helpers for the real-engine end-to-end tests: the engine, the cluster, the project copy."""
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

ROOT = Path(__file__).resolve().parents[2]
BUILD_ENGINE = ROOT / "scripts" / "build-engine"
LOCAL_CLUSTER = ROOT / "scripts" / "local-cluster"
GENERATE_CRDS = ROOT / "scripts" / "generate-crds"
POLICIES = ROOT / "policies"

# What a run of the program looks like when Python itself failed, as opposed
# to the program reporting a problem through pulumi.RunError.
TRACEBACK = "Traceback (most recent call last)"


def engine_bin() -> tuple[Optional[Path], str]:
    """The built engine's bin directory (`scripts/build-engine --check`), or None and why not."""
    proc = subprocess.run([str(BUILD_ENGINE), "--check"], capture_output=True, text=True, timeout=60)
    if proc.returncode == 0 and proc.stdout.strip():
        return Path(proc.stdout.strip().splitlines()[-1]), ""
    return None, "\n".join(line.removeprefix("build-engine: ") for line in proc.stderr.splitlines())


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


@dataclass
class Result:
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
    """A copy of the Pulumi project in a temp dir, its own file backend and the engine's environment."""

    dir: Path
    bin_dir: Path
    state_dir: Path
    kubeconfig: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "PATH": f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "PULUMI_HOME": str(self.bin_dir.parent / "home"),
            "PULUMI_BACKEND_URL": f"file://{self.state_dir}",
            "PULUMI_CONFIG_PASSPHRASE": "e2e-throwaway-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "KUBECONFIG": self.kubeconfig,
            "NO_COLOR": "1",
        })
        env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        env.pop("PULUMI_ACCESS_TOKEN", None)
        return env

    def pulumi(self, *args: str, stack: Optional[str] = None, check: bool = True,
               timeout: float = 1500, policy: bool = False) -> Result:
        argv = list(args)
        if stack is not None:
            argv += ["--stack", stack]
        if policy:
            argv += ["--policy-pack", str(POLICIES),
                     "--policy-pack-config", str(POLICIES / "config" / f"{stack}.json")]
        argv += ["--non-interactive", "--color=never"]
        start = time.monotonic()
        proc = subprocess.run([str(self.bin_dir / "pulumi"), *argv], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        result = Result(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
        if check and result.returncode != 0:
            raise AssertionError(result.describe())
        return result

    # --- the stack files of the copy -------------------------------------------
    def stack_file(self, stack: str) -> Path:
        return self.dir / f"Pulumi.{stack}.yaml"

    def config_set(self, stack: str, path: str, value: str) -> None:
        self.pulumi("config", "set", "--path", path, value, stack=stack)

    def config_rm(self, stack: str, path: str) -> None:
        self.pulumi("config", "rm", "--path", path, stack=stack)

    def config_get(self, stack: str, path: str) -> Any:
        return json.loads(self.pulumi("config", "get", "--path", path, "--json", stack=stack).stdout)["value"]

    def outputs(self, stack: str) -> dict[str, Any]:
        return self.pulumi("stack", "output", "--json", "--show-secrets", stack=stack).json()

    def state(self, stack: str) -> list[dict[str, Any]]:
        return self.pulumi("stack", "export", stack=stack).json()["deployment"].get("resources") or []


def make_project(dest: Path, bin_dir: Path, state_dir: Path, kubeconfig: str) -> Project:
    """Copies what the program needs; the repository's own stack files are never touched."""
    dest.mkdir(parents=True)
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("components", "platform_facts", "config", "releases"):  # releases/: the provenance gate's ledger
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / ".venv").symlink_to(ROOT / ".venv")  # Pulumi.yaml: virtualenv: .venv
    (dest / "policies").symlink_to(POLICIES)  # the pack, beside the program as in the repository
    for stack in ("staging", "prod"):
        _skip_cloud_resources_without_plugins(dest / f"Pulumi.{stack}.yaml")
    state_dir.mkdir(parents=True, exist_ok=True)
    return Project(dest, bin_dir, state_dir, kubeconfig)


def _skip_cloud_resources_without_plugins(stack_file: Path) -> None:
    """The ONE change the tests make to the copied stack files (the repository's are untouched).

    Azure and Vault cannot run here and their plugins are not installed, so the
    copy opts in to `kubernetes.skipCloudResourcesWithoutPlugins`: the program
    skips those resources with a warning and the Kubernetes half of the stack
    runs against the real API server.
    """
    text = stack_file.read_text()
    assert "platform:kubernetes:" not in text, f"{stack_file}: has platform:kubernetes; merge the opt-in into it"
    assert text.startswith("#") or text.startswith("config:"), stack_file
    stack_file.write_text(text.rstrip("\n") + "\n  platform:kubernetes:\n    skipCloudResourcesWithoutPlugins: true\n")


def change_summary(preview: Result) -> dict[str, int]:
    """`pulumi preview --json`'s changeSummary."""
    return preview.json().get("changeSummary") or {}


def steps(preview: Result, op: Optional[str] = None) -> list[dict[str, Any]]:
    found = preview.json().get("steps") or []
    return [s for s in found if op is None or s.get("op") == op]


def resource_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def wait_for(predicate, what: str, timeout: float = 300, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

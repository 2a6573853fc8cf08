"""Helpers shared by the server-side tests and their fixtures: kubectl, the applied stack."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

FIELD_MANAGER = "stackctl-cluster-tests"


@dataclass
class Kubectl:
    binary: str
    kubeconfig: str

    def __call__(self, *args: str, input: str | None = None, check: bool = True, timeout: float = 180):
        proc = subprocess.run(
            [self.binary, f"--kubeconfig={self.kubeconfig}", *args],
            input=input, capture_output=True, text=True, timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def json(self, *args: str):
        return json.loads(self("get", *args, "-o", "json").stdout)


def assert_no_warnings(proc: subprocess.CompletedProcess, what: str) -> None:
    assert "Warning:" not in proc.stderr and "warning:" not in proc.stderr.lower(), (
        f"{what} printed warnings:\n{proc.stderr}"
    )


@dataclass
class AppliedStack:
    name: str
    render_dir: Path
    namespace_files: list[Path]
    object_files: list[Path]
    objects: list[dict]
    applies: list[subprocess.CompletedProcess] = field(default_factory=list)

    def files(self) -> list[Path]:
        return self.namespace_files + self.object_files

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o["kind"] == kind]

    @property
    def namespaces(self) -> list[str]:
        return [o["metadata"]["name"] for o in self.of_kind("Namespace")]


def kubernetes_files(render_dir: Path) -> tuple[list[Path], list[Path]]:
    """(namespace files, other object files) of a render: its .yaml files are all Kubernetes objects."""
    namespaces, others = [], []
    for path in sorted(render_dir.rglob("*.yaml")):
        (namespaces if yaml.safe_load(path.read_text())["kind"] == "Namespace" else others).append(path)
    return namespaces, others


def apply_args(*files: Path) -> list[str]:
    args = ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}"]
    for f in files:
        args += ["-f", str(f)]
    return args


@dataclass
class PendingRender:
    """A `stackctl render` started in the background; `result()` waits for it and returns its directory."""

    proc: subprocess.Popen
    out: Path

    def result(self) -> Path:
        output, _ = self.proc.communicate(timeout=300)
        assert self.proc.returncode == 0, f"stackctl render failed:\n{output}"
        return self.out

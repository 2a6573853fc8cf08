"""Benchmark: `pulumi preview` under the real engine, with and without the policy pack, against `stackctl render`.

All three in one process, on one machine state, `--repeat` rounds each, so
the ratios are measured in one run (this machine is shared and noisy; the
absolute times are not a target). Each round runs, for the staging stack:

- preview: the program as an Automation API inline program
  (stackctl/engine_workspace.py) with the engine scripts/build-engine built,
  against a local control plane, from an empty state (every object a create);
- preview with the pack: the same, plus policies/run-policy-pack and the
  stack's pack config;
- render: `python -m stackctl render staging --out DIR` (offline, mocks).

It prints every sample, then the median of each and the ratios preview/render
and (preview with the pack)/preview. The cluster: --kubeconfig (with the
stacks' CRDs applied), else its own `scripts/local-cluster up` on private
ports and state directory, with the CRDs of scripts/generate-crds, stopped at
the end.

    .venv/bin/python bench/engine_bench.py [--repeat 3] [--kubeconfig FILE]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from stackctl.engine_workspace import (  # noqa: E402
    EngineWorkspace, built_engine, local_cluster_env, sync_scratch_project,
)

CLUSTER_ENV = local_cluster_env("/tmp/stackctl-engine-bench-cluster")


def _run(*argv: str, env=None, timeout: float = 3600) -> str:
    proc = subprocess.run(list(argv), capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"engine_bench: {' '.join(argv)} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def start_cluster(work: Path) -> tuple[str, dict]:
    env = {**os.environ, **CLUSTER_ENV}
    kubeconfig = _run(str(PROJECT_ROOT / "scripts" / "local-cluster"), "up", env=env).strip().splitlines()[-1]
    kubectl = next(line.split("=", 1)[1].split(":", 1)[0].strip("'\"") for line in
                   _run(str(PROJECT_ROOT / "scripts" / "local-cluster"), "env", env=env).splitlines()
                   if line.removeprefix("export ").startswith("PATH="))
    crds = work / "crds"
    _run(str(PROJECT_ROOT / "scripts" / "generate-crds"), str(crds))
    _run(f"{kubectl}/kubectl", f"--kubeconfig={kubeconfig}", "apply", "--server-side", "-f", str(crds))
    return kubeconfig, env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the three measurements (default 3)")
    parser.add_argument("--kubeconfig", help="a running cluster with the stacks' CRDs (default: start one)")
    args = parser.parse_args()
    engine, why = built_engine()
    if engine is None:
        print(f"engine_bench: no engine built ({why.splitlines()[0] if why else ''}); run scripts/build-engine",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="engine-bench.") as tmp:
        work = Path(tmp)
        cluster_env = None
        kubeconfig = args.kubeconfig
        try:
            if kubeconfig is None:
                kubeconfig, cluster_env = start_cluster(work)
            sync_scratch_project(PROJECT_ROOT, work / "project", ("staging",))
            workspace = EngineWorkspace(work / "project", work / "state", engine, kubeconfig)
            workspace.stack("staging")  # stack init, outside the timings
            config = PROJECT_ROOT / "policies" / "config" / "staging.json"
            samples: dict[str, list[float]] = {"preview": [], "preview with the pack": [], "render": []}
            print(f"{'round':<6} {'measurement':<24} {'seconds':>8}")
            for round_number in range(1, args.repeat + 1):
                for name, policy in (("preview", None), ("preview with the pack", config)):
                    result = workspace.run("preview", "staging", policy_config=policy)
                    if result.returncode != 0:
                        print(result.describe(), file=sys.stderr)
                        return 1
                    samples[name].append(result.seconds)
                    print(f"{round_number:<6} {name:<24} {result.seconds:8.1f}", flush=True)
                start = time.monotonic()
                _run(sys.executable, "-m", "stackctl", "render", "staging", "--out", str(work / f"render-{round_number}"))
                samples["render"].append(time.monotonic() - start)
                print(f"{round_number:<6} {'render':<24} {samples['render'][-1]:8.1f}", flush=True)
        finally:
            if cluster_env is not None:
                subprocess.run([str(PROJECT_ROOT / "scripts" / "local-cluster"), "down"], env=cluster_env,
                               capture_output=True, timeout=600)
    median = {name: statistics.median(values) for name, values in samples.items()}
    print()
    for name, value in median.items():
        print(f"median {name:<24} {value:8.1f} s")
    print(f"ratio  preview / render            {median['preview'] / median['render']:8.2f}")
    print(f"ratio  with the pack / preview     {median['preview with the pack'] / median['preview']:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: `stackctl render STACK` against the bare import of the Pulumi SDKs every render needs.

The floor of a render is the import of `pulumi` and of the two Kubernetes API
groups every stack uses (`pulumi_kubernetes.apps.v1`, `core.v1`); whatever a
render costs above it is its own imports and its own work. Both are measured
in one run, in alternating rounds, so the ratio holds on this shared, noisy
machine even when the absolute times do not (issue 21, item 5: the ratio is
the target, 3x or better). Each round runs, from the project root:

- render: `python -m stackctl render STACK --out DIR` (a fresh DIR each round);
- bare import: `python -c "import pulumi, pulumi_kubernetes.apps.v1, pulumi_kubernetes.core.v1"`.

It prints every sample (wall clock, and the child's CPU time, which a busy
machine disturbs less), then the median of each and the ratios.

With `--importtime` it first runs the render once under `python -X importtime`
and prints the top entries by cumulative time, then the self time summed by
package. The cyclic collector runs during imports and its pauses (tens to
hundreds of ms on this heap) are charged to whichever module was importing;
`--gc-off` runs that one render with the collector disabled, to see what each
import costs by itself. Read the first table knowing two things `-X importtime` does not
show: a module loaded with `importlib.import_module` (each stackctl verb, see
stackctl/__main__.py) or on first attribute access of a lazy SDK subpackage
(`pulumi_kubernetes.core`, `pulumi_azure_native.storage`, ...) has no line of
its own, so what it imports appears at the top level with its own cumulative
time. The second table has no such blind spot.

    .venv/bin/python bench/render_import_bench.py [--rounds 10] [--stack staging] [--importtime [--gc-off]] [--top 25]
"""
from __future__ import annotations

import argparse
import collections
import functools
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BARE_IMPORT = "import pulumi, pulumi_kubernetes.apps.v1, pulumi_kubernetes.core.v1"

# `import time: <self us> | <cumulative us> | <two spaces per nesting level><module>`
IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def render_argv(stack: str, out: Path, *python_flags: str) -> list[str]:
    return [sys.executable, *python_flags, "-m", "stackctl", "render", stack, "--out", str(out)]


def render_argv_gc_off(stack: str, out: Path, *python_flags: str) -> list[str]:
    """The same render, with the cyclic collector disabled before anything is imported."""
    run = ("import gc, runpy, sys; gc.disable(); "
           f"sys.argv = ['stackctl', 'render', {stack!r}, '--out', {str(out)!r}]; "
           "runpy.run_module('stackctl', run_name='__main__', alter_sys=True)")
    return [sys.executable, *python_flags, "-c", run]


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one child process; exits on a failure."""
    start = time.monotonic()
    process = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"render_import_bench: {' '.join(argv)} exited {process.returncode}:\n"
                         f"{stderr.decode(errors='replace')[-4000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """(cumulative us, self us, nesting depth, module) for each `-X importtime` line."""
    rows = []
    for line in stderr.splitlines():
        match = IMPORTTIME_LINE.match(line)
        if match:
            rows.append((int(match[2]), int(match[1]), len(match[3]) // 2, match[4]))
    return rows


@functools.lru_cache(maxsize=None)
def is_subpackage(top: str, name: str) -> bool:
    """Whether `top.name` is a package (a directory), found without importing `top`."""
    spec = importlib.util.find_spec(top)
    return bool(spec and spec.origin and (Path(spec.origin).parent / name / "__init__.py").is_file())


def package_of(module: str) -> str:
    """The unit a change can remove: an SDK's API group (each loads whole, on first use), else the top-level package.

    An SDK's modules outside its groups (`pulumi_vault.policy`, `pulumi_azure_native.provider`)
    count with the SDK's root package, which imports them all at once.
    """
    parts = module.split(".")
    if parts[0] == "pulumi_kubernetes" and len(parts) > 2 and is_subpackage(parts[0], parts[1]):
        return ".".join(parts[:3])  # pulumi_kubernetes.core.v1
    if parts[0] in ("pulumi_azure_native", "pulumi_vault") and len(parts) > 1 and is_subpackage(parts[0], parts[1]):
        return ".".join(parts[:2])  # pulumi_azure_native.storage, pulumi_vault.kubernetes
    if parts[0] in ("components", "stackctl"):
        return module
    return parts[0]


def print_importtime(stack: str, work: Path, top: int, gc_off: bool) -> None:
    argv = (render_argv_gc_off if gc_off else render_argv)(stack, work / "render-importtime", "-X", "importtime")
    completed = subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    if completed.returncode != 0:
        raise SystemExit(f"render_import_bench: the -X importtime render exited {completed.returncode}:\n"
                         f"{completed.stderr[-4000:]}")
    rows = parse_importtime(completed.stderr)
    total_self = sum(self_us for _, self_us, _, _ in rows)
    print(f"-X importtime of `stackctl render {stack}`{' (cyclic collector off)' if gc_off else ''}: "
          f"{len(rows)} modules, {total_self / 1000:.0f} ms self in all")
    print(f"top {top} by cumulative time (depth 0 = imported at the top level, or by importlib / a lazy SDK group)")
    print(f"{'cumulative ms':>13} {'self ms':>8} {'depth':>5}  module")
    for cumulative, self_us, depth, module in sorted(rows, reverse=True)[:top]:
        print(f"{cumulative / 1000:13.1f} {self_us / 1000:8.1f} {depth:5}  {module}")
    by_package: collections.Counter = collections.Counter()
    modules: collections.Counter = collections.Counter()
    for _, self_us, _, module in rows:
        by_package[package_of(module)] += self_us
        modules[package_of(module)] += 1
    print()
    print(f"top {top} by self time summed per package (an SDK's API group counts as one)")
    print(f"{'self ms':>8} {'modules':>7}  package")
    for package, self_us in by_package.most_common(top):
        print(f"{self_us / 1000:8.1f} {modules[package]:7}  {package}")
    print(flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the two measurements (default 10)")
    parser.add_argument("--stack", default="staging", help="the stack to render (default staging)")
    parser.add_argument("--importtime", action="store_true",
                        help="first run the render once under -X importtime and print its top entries")
    parser.add_argument("--gc-off", action="store_true",
                        help="run the -X importtime render with the cyclic collector disabled (see above)")
    parser.add_argument("--top", type=int, default=25, help="entries of each -X importtime table (default 25)")
    args = parser.parse_args()
    samples: dict[str, dict[str, list[float]]] = {
        "render": {"wall": [], "cpu": []}, "bare import": {"wall": [], "cpu": []}}
    with tempfile.TemporaryDirectory(prefix="render-import-bench.") as tmp:
        work = Path(tmp)
        if args.importtime:
            print_importtime(args.stack, work, args.top, args.gc_off)
        bare_argv = [sys.executable, "-c", BARE_IMPORT]
        print(f"{'round':<6} {'measurement':<12} {'wall s':>7} {'cpu s':>7}")
        for round_number in range(1, args.rounds + 1):
            # Alternate which goes first, so neither always runs on the warmer cache.
            measurements = [("render", render_argv(args.stack, work / f"render-{round_number}")),
                            ("bare import", bare_argv)]
            if round_number % 2 == 0:
                measurements.reverse()
            for name, argv in measurements:
                wall, cpu = timed(argv)
                samples[name]["wall"].append(wall)
                samples[name]["cpu"].append(cpu)
                print(f"{round_number:<6} {name:<12} {wall:7.2f} {cpu:7.2f}", flush=True)
    median = {name: {clock: statistics.median(values) for clock, values in clocks.items()}
              for name, clocks in samples.items()}
    print()
    for name, clocks in median.items():
        print(f"median {name:<12} {clocks['wall']:7.2f} {clocks['cpu']:7.2f}")
    print(f"ratio  render / bare  {median['render']['wall'] / median['bare import']['wall']:7.2f} "
          f"{median['render']['cpu'] / median['bare import']['cpu']:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Start the pack's executable entry point as the engine does and ask it what it serves (gRPC)."""
from __future__ import annotations

import select
import subprocess
from pathlib import Path

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc


def analyzer_info(entry_point: Path, cwd: Path):
    """GetAnalyzerInfo of `entry_point` (one argument, the engine address; the port on stdout's first line)."""
    process = subprocess.Popen([str(entry_point), "127.0.0.1:1"], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 120)
        assert ready, f"no port on stdout within 120 s: {process.stderr.read1().decode() if process.poll() else ''}"
        port = process.stdout.readline().decode().strip()
        assert port.isdigit(), f"the first line of stdout is {port!r}, not a port"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            return analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
    finally:
        process.terminate()
        process.wait(timeout=30)

"""`stackctl bench`: progress is printed as each size finishes, so a long run shows it is alive."""
from __future__ import annotations

import subprocess
import sys


def test_bench_prints_each_size_as_it_finishes(project_root):
    completed = subprocess.run([sys.executable, "-m", "stackctl", "bench", "--sizes", "1", "--repeat", "1"],
                               cwd=project_root, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].split() == ["stack", "resources", "components", "ms", "bare", "SDK", "ms", "ratio", "us/resource"]
    assert [line.split()[0] for line in lines[1:]] == ["staging", "1"]
    assert all(line.rstrip().endswith(" s)") for line in lines[1:])


def test_bench_json_validates(project_root):
    import json

    import jsonschema

    from stackctl.output_formats import schema_path

    completed = subprocess.run([sys.executable, "-m", "stackctl", "bench", "--sizes", "1", "--repeat", "1",
                                "--output", "json"], cwd=project_root, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    jsonschema.validate(document, json.loads(schema_path("bench").read_text()))
    assert [row["label"] for row in document["rows"]] == ["staging", "1 service"]

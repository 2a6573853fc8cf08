"""Workload kinds: the models, their manifests, the stack rules they feed, and a golden render of each kind.

The golden fixture `tests/data/workload_kinds/Pulumi.kinds.yaml` holds one
workload of each kind with the options the real stacks do not use. Refresh
its golden files after an intended change with:
    .venv/bin/stackctl render staging \
        --config-file tests/data/workload_kinds/Pulumi.kinds.yaml --out tests/golden/workload_kinds
"""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from config_models.base import ConfigError, validate_config
from config_models.workloads.cron_job import CronJobSpec
from components.workloads.cron_job import build_cron_job_manifest
from config_models.cron_schedule import check_cron_schedule
from stack_checks.node_pool_headroom import headroom_problem
from config_models.workloads.replicated import ReplicatedSpec
from components.workloads.replicated_deployment import build_replicated_manifests, build_replicated_pod_template
from config_models.workloads.replicated import migration_job_name
from config_models.workloads.single_writer import SingleWriterSpec
from components.workloads.single_writer_deployment import build_pod_template
from config_models.stack import StackConfig
from components.workloads.kinds import WORKLOAD_KIND_COMPONENTS
from config_models.workloads.kinds import WORKLOAD_KIND_MODELS
from stack_file_edits import edit_stack_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "workload_kinds" / "Pulumi.kinds.yaml"
GOLDEN = ROOT / "tests" / "golden" / "workload_kinds"
IMAGE = "registry.example.org/api@sha256:" + "ab" * 32
RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
REPLICATED = {"kind": "replicated", "namespace": "apps", "resources": RESOURCES,
              "ports": [{"name": "http", "containerPort": 8080}]}
CRON = {"kind": "cronJob", "namespace": "apps", "schedule": "*/15 * * * *", "resources": RESOURCES}


def _problems(model, data) -> list[str]:
    with pytest.raises(ConfigError) as error:
        validate_config(model, data)
    return error.value.problems


def _render(config_file: Path, out: Path, stack: str = "staging") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stackctl", "render", stack, "--config-file", str(config_file), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


# The golden render of every kind.

def test_every_kind_renders_as_its_golden_files_and_validates_strictly(tmp_path):
    completed = _render(FIXTURE, tmp_path / "out")
    assert completed.returncode == 0, completed.stderr
    out = tmp_path / "out"
    actual = {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*.yaml"))}
    expected = {str(p.relative_to(GOLDEN)): p.read_text() for p in sorted(GOLDEN.rglob("*.yaml"))}
    assert sorted(actual) == sorted(expected), "rendered file set differs (see the module docstring to refresh)"
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs from its golden file"
    kinds = set()
    for name, text in actual.items():
        document = yaml.safe_load(text)
        kinds.add(document["kind"])
        kubernetes_validate.validate(document, "1.32", strict=True)
    assert {"Deployment", "CronJob", "Job", "PodDisruptionBudget", "HorizontalPodAutoscaler",
            "PersistentVolumeClaim"} <= kinds


# The model of each kind.

def test_a_service_without_kind_is_a_single_writer():
    config = validate_config(StackConfig, {
        "environment": "dev", "release": {"images": {}}, "namespaces": {"apps": {}},
        "services": {"one": {"namespace": "apps", "resources": RESOURCES,
                             "data": {"claimName": "one-data", "size": "1Gi", "mountPath": "/data"}}},
    })
    assert isinstance(config.services["one"], SingleWriterSpec)


def test_an_unknown_kind_names_the_kinds():
    data = {"environment": "dev", "release": {"images": {}}, "namespaces": {"apps": {}},
            "services": {"one": {**REPLICATED, "kind": "daemonSet"}}}
    assert _problems(StackConfig, data) == [
        "services.one.kind: 'daemonSet' is not a kind (kinds: singleWriter, replicated, cronJob)"]


def test_an_error_inside_a_kind_names_the_config_key_without_the_tag():
    data = {"environment": "dev", "release": {"images": {}}, "namespaces": {"apps": {}},
            "services": {"one": {**REPLICATED, "replicas": 0}}}
    [problem] = _problems(StackConfig, data)
    assert problem.startswith("services.one.replicas: 0 is invalid"), problem


@pytest.mark.parametrize("model, data, message", [
    (ReplicatedSpec, {**REPLICATED, "data": {"claimName": "x", "size": "1Gi", "mountPath": "/data"}},
     "data: a replicated workload cannot have a data claim: its replicas would open the same files at once "
     "(and a ReadWriteOnce volume attaches to one node); use kind: singleWriter, or keep the state in a database "
     "the replicas share"),
    (SingleWriterSpec, {"namespace": "apps", "resources": RESOURCES,
                        "data": {"claimName": "x", "size": "1Gi", "mountPath": "/data"},
                        "autoscaling": {"minReplicas": 2, "maxReplicas": 4}},
     "autoscaling: {'minReplicas': 2, 'maxReplicas': 4} is not allowed: a HorizontalPodAutoscaler would start a "
     "second writer on the same SQLite file (and a ReadWriteOnce volume cannot follow it); remove the key, or use "
     "kind: replicated for a stateless service"),
    (ReplicatedSpec, {**REPLICATED, "replicas": 3, "autoscaling": {"minReplicas": 2, "maxReplicas": 4}},
     "(top level): replicas 3 and autoscaling are both set; the HorizontalPodAutoscaler owns the count, so remove "
     "replicas and set autoscaling.minReplicas"),
    (ReplicatedSpec, {**REPLICATED, "autoscaling": {"minReplicas": 4, "maxReplicas": 2}},
     "autoscaling: maxReplicas 2 is below minReplicas 4"),
    (ReplicatedSpec, {**REPLICATED, "drain": {"preStopSleepSeconds": 30}},
     "(top level): terminationGracePeriodSeconds 30 must exceed drain.preStopSleepSeconds 30, or the pod is "
     "killed before it finishes its requests (add the app's own shutdown time)"),
    (CronJobSpec, {**CRON, "schedule": "every day at 3"},
     "schedule: 'every day at 3' has 4 fields; a schedule has 5: minute hour day-of-month month day-of-week "
     "('*/15 * * * *', '0 3 * * SUN' or '@daily')"),
    (CronJobSpec, {**CRON, "concurrencyPolicy": "Allow"},
     "concurrencyPolicy: 'Allow' is not allowed: a slow run and the next would run the same task twice at once; "
     "use Forbid (the default) or Replace"),
    (CronJobSpec, {**CRON, "data": {"claimName": "x", "size": "1Gi", "mountPath": "/data"}},
     "data: a cronJob cannot have a data claim: a run would open a single writer's files beside it; run the task "
     "inside the writer's pod, or remove the key"),
    (CronJobSpec, {**CRON, "timeZone": "Mars/Olympus"},
     "timeZone: 'Mars/Olympus' is not an IANA time zone (e.g. Etc/UTC, Europe/Paris)"),
    (CronJobSpec, {**CRON, "ports": [{"name": "http", "containerPort": 80}]},
     "ports: unknown key (remove it or check its spelling; every key is in docs/config.md)"),
])
def test_each_kind_refuses_what_would_break_it(model, data, message):
    assert _problems(model, data) == [message]


@pytest.mark.parametrize("schedule", [
    "*/15 * * * *", "0 3 * * SUN", "30 2 * * MON-FRI", "0 0 1,15 * ?", "5 4 * JAN-MAR,DEC 0", "@daily",
    "@hourly", "0-59/5 0-23 1-31 1-12 0-6",
])
def test_schedules_the_api_server_accepts_pass(schedule):
    assert check_cron_schedule(schedule) == schedule


@pytest.mark.parametrize("schedule, fragment", [
    ("* * * *", "has 4 fields"),
    ("60 * * * *", "minute 60 is outside 0-59"),
    ("* 24 * * *", "hour 24 is outside 0-23"),
    ("* * 0 * *", "day of month 0 is outside 1-31"),
    ("* * * 13 *", "month 13 is outside 1-12"),
    ("* * * * 7", "day of week 7 is outside 0-6"),
    ("*/0 * * * *", "step /0 never advances"),
    ("? * * * *", "'?' is allowed only in the day fields"),
    ("5-1 * * * *", "range '5-1' runs backwards"),
    ("* * * FOO *", "month 'FOO' is not a number or a name"),
    ("@every 5m", "descriptors are"),
    ("TZ=Europe/Paris 0 3 * * *", "put it in timeZone"),
    ("0 3 * * * *", "has 6 fields"),
])
def test_schedules_the_api_server_refuses_are_refused_with_the_reason(schedule, fragment):
    with pytest.raises(ValueError) as error:
        check_cron_schedule(schedule)
    assert fragment in str(error.value)


# The manifests of each kind.

def test_replicated_rolls_one_extra_pod_never_fewer_and_keeps_a_budget():
    spec = validate_config(ReplicatedSpec, REPLICATED)
    template = build_replicated_pod_template("api", spec, "prod", IMAGE, {})
    manifests = build_replicated_manifests("api", spec, "prod", template)
    deployment = manifests["deployment"]["spec"]
    assert deployment["replicas"] == 2
    assert deployment["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    assert manifests["disruption_budget"]["spec"] == {
        "maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "api"}},
        "unhealthyPodEvictionPolicy": "AlwaysAllow"}
    pod = template["spec"]
    assert pod["containers"][0]["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert pod["terminationGracePeriodSeconds"] > 5
    assert [(c["topologyKey"], c["whenUnsatisfiable"]) for c in pod["topologySpreadConstraints"]] == [
        ("kubernetes.io/hostname", "DoNotSchedule"), ("topology.kubernetes.io/zone", "ScheduleAnyway")]
    assert "persistentVolumeClaim" not in str(pod["volumes"])
    assert "autoscaler" not in manifests


def test_with_an_autoscaler_the_deployment_leaves_the_count_to_it():
    spec = validate_config(ReplicatedSpec, {**REPLICATED, "autoscaling": {"minReplicas": 3, "maxReplicas": 5}})
    manifests = build_replicated_manifests("api", spec, "prod", build_replicated_pod_template(
        "api", spec, "prod", IMAGE, {}))
    assert "replicas" not in manifests["deployment"]["spec"]
    assert manifests["autoscaler"]["spec"]["minReplicas"] == 3
    assert manifests["autoscaler"]["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}


def test_the_migration_job_is_named_after_the_release_digest():
    assert migration_job_name("api", IMAGE) == "api-migrate-abababababab"
    assert migration_job_name("api", IMAGE.replace("ab", "cd")) == "api-migrate-cdcdcdcdcdcd"


def test_a_single_writer_migrates_in_its_new_pod_after_the_directories_and_before_the_app():
    spec = validate_config(SingleWriterSpec, {
        "namespace": "apps", "resources": RESOURCES, "env": {"MODE": "serve"},
        "data": {"claimName": "one-data", "size": "1Gi", "mountPath": "/data"},
        "dataDirectories": {"image": "busybox", "paths": ["db"]},
        "migration": {"command": ["/one", "migrate"], "env": {"MODE": "migrate"}},
    })
    template = build_pod_template("one", spec, "prod", IMAGE, {}, init_image=IMAGE, migration_image=IMAGE)
    init = template["spec"]["initContainers"]
    assert [c["name"] for c in init] == ["create-data-directories", "migrate"]
    migrate = init[1]
    assert migrate["command"] == ["/one", "migrate"]
    assert {"name": "MODE", "value": "migrate"} in migrate["env"]
    assert {"name": "data", "mountPath": "/data"} in migrate["volumeMounts"]
    assert template["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "serve"}]


def test_a_cron_job_never_overlaps_and_skips_late_starts_by_default():
    spec = validate_config(CronJobSpec, CRON)
    manifest = build_cron_job_manifest("task", spec, "prod", IMAGE, {})
    assert manifest["spec"]["concurrencyPolicy"] == "Forbid"
    assert manifest["spec"]["startingDeadlineSeconds"] == 300
    assert manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


# The facts the cross-resource checks read.

def test_every_registered_kind_answers_every_fact():
    samples = {
        "singleWriter": {"namespace": "apps", "resources": RESOURCES,
                         "data": {"claimName": "x", "size": "1Gi", "mountPath": "/data"}},
        "replicated": REPLICATED,
        "cronJob": CRON,
    }
    assert sorted(samples) == sorted(WORKLOAD_KIND_MODELS), "add a sample for the new kind"
    for kind, data in samples.items():
        spec = validate_config(WORKLOAD_KIND_MODELS[kind].spec, {**data, "kind": kind})
        assert spec.pods_at_floor() >= 1
        assert spec.rollout_surge_pods() >= 0
        assert spec.release_components("x") == {"x": "services.x"}
        assert spec.pod_requests() == (Fraction(100), Fraction(128 * 2**20))


def test_every_kind_with_a_config_model_has_a_component_and_no_other():
    assert list(WORKLOAD_KIND_COMPONENTS) == list(WORKLOAD_KIND_MODELS)


def test_headroom_counts_replicas_surge_and_the_migration_job():
    services = {
        "api": validate_config(ReplicatedSpec, {**REPLICATED, "replicas": 3,
                                                "migration": {"command": ["/api", "migrate"]}}),
        "task": validate_config(CronJobSpec, CRON),
    }
    # 3 replicas + 1 surge + 1 migration pod + 1 cron run = 6 pods x 100m = 600m.
    assert headroom_problem(services, "Standard_B2s", 1, "pool") is None
    big = {name: spec.model_copy(update={"resources": spec.resources.model_copy(update={
        "requests": spec.resources.requests.model_copy(update={"cpu": "400m"})})}) for name, spec in services.items()}
    problem = headroom_problem(big, "Standard_B2s", 1, "pool")
    assert problem is not None and "request 2400m CPU" in problem and "(4 pods + 2 rollout surge)" in problem


# The stack rules, through `stackctl render` on copies of the real stacks.

@pytest.mark.parametrize("case, edit, expected", [
    ("replicated with 1 replica in prod",
     lambda c: c["services"]["memql-bff"].__setitem__("replicas", 1),
     "services.memql-bff.replicas: 1 is below 2 for a replicated workload in prod (one pod must keep serving "
     "while another is evicted or rolled; set replicas: 2)"),
    ("autoscaler floor of 1 in prod",
     lambda c: (c["services"]["memql-bff"].pop("replicas"),
                c["services"]["memql-bff"].__setitem__("autoscaling", {"minReplicas": 1, "maxReplicas": 3})),
     "services.memql-bff.autoscaling.minReplicas: 1 is below 2 for a replicated workload in prod (one pod must "
     "keep serving while another is evicted or rolled; set autoscaling.minReplicas: 2)"),
    ("claim on a replicated workload",
     lambda c: c["services"]["memql-bff"].__setitem__(
         "data", {"claimName": "bff-data", "size": "1Gi", "mountPath": "/data"}),
     "services.memql-bff.data: a replicated workload cannot have a data claim: its replicas would open the same "
     "files at once (and a ReadWriteOnce volume attaches to one node); use kind: singleWriter, or keep the state "
     "in a database the replicas share"),
    ("autoscaler on a single writer",
     lambda c: c["services"]["sol"].__setitem__("autoscaling", {"minReplicas": 2, "maxReplicas": 3}),
     "services.sol.autoscaling: {'minReplicas': 2, 'maxReplicas': 3} is not allowed: a HorizontalPodAutoscaler "
     "would start a second writer on the same SQLite file (and a ReadWriteOnce volume cannot follow it); remove "
     "the key, or use kind: replicated for a stateless service"),
    ("cron schedule that does not parse",
     lambda c: c["services"].__setitem__("memql-report", {**CRON, "namespace": "memql", "schedule": "0 25 * * *"}),
     "services.memql-report.schedule: '0 25 * * *': hour 25 is outside 0-23 ('*/15 * * * *', '0 3 * * SUN' or "
     "'@daily')"),
    ("route to a cron job",
     lambda c: (c["services"].__setitem__("memql-report", {**CRON, "namespace": "memql"}),
                c["release"]["images"].__setitem__("memql-report", c["release"]["images"]["memql-bff"]),
                c["routing"]["routes"].__setitem__("report", {"service": "memql-report"})),
     "routing.routes.report.service: 'memql-report' is a cronJob workload and serves no port (route to a "
     "service with ports)"),
])
def test_bad_workload_config_in_prod_is_refused_naming_the_key(case, edit, expected, scratch_project, project_root):
    bad = edit_stack_file(scratch_project / "Pulumi.prod.yaml", scratch_project / "bad.yaml", edit)
    out = scratch_project / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "stackctl", "render", "prod", "--config-file", str(bad), "--out", str(out)],
        cwd=project_root, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    problems = [line.removeprefix("error: ") for line in completed.stderr.splitlines()[:-1]]
    assert expected in problems, problems
    assert not out.exists()


def test_one_replica_in_staging_renders_with_a_warning(scratch_project, project_root):
    copy = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "one.yaml",
                           lambda c: c["services"]["memql-bff"].__setitem__("replicas", 1))
    completed = _render(copy, scratch_project / "out")
    assert completed.returncode == 0, completed.stderr
    assert ("warning: services.memql-bff.replicas: 1 is below 2 for a replicated workload (prod refuses this; "
            "one pod must keep serving while another is evicted or rolled; set replicas: 2)") in completed.stderr
    rendered = yaml.safe_load((scratch_project / "out" / "memql" / "Deployment-memql-bff.yaml").read_text())
    assert rendered["spec"]["replicas"] == 1

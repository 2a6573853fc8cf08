"""cron-job-concurrency: a CronJob running Sol's hardened pod (its claim swapped for an emptyDir) passes.

One field changes per case: the concurrency policy, the starting deadline,
a history limit, or a claim the pod mounts.
"""
import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.cron_job_concurrency import POLICY

REPORT = "CronJob 'matrix/report'"
VOLUME = "spec.jobTemplate.spec.template.spec.volumes.0"
SOL_DATA = {"name": "data", "persistentVolumeClaim": {"claimName": "sol-data"}}
BESIDE = "its jobs would run beside the single writer on the same file."
OVERLAP = "must be Forbid, or Replace if the pod mounts no PersistentVolumeClaim (two runs must not overlap)."


def report(path=None, value=None):
    pod = offline.corpus_manifest("Deployment", "matrix/sol")["spec"]["template"]
    pod["spec"]["volumes"][0] = {"name": "data", "emptyDir": {}}
    pod["spec"]["restartPolicy"] = "Never"
    manifest = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report", "namespace": "matrix"},
                "spec": {"schedule": "0 3 * * *", "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 300,
                         "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                         "jobTemplate": {"spec": {"backoffLimit": 2, "template": pod}}}}
    return manifest if path is None else offline.changed(manifest, path, value)


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def test_forbid_with_deadline_and_history_limits_passes():
    assert check(report()) == []


def test_replace_passes_without_a_claim():
    assert check(report("spec.concurrencyPolicy", "Replace")) == []


@pytest.mark.parametrize("policy, shown", [("Allow", "'Allow'"), (offline.DELETE, "'Allow' by default"),
                                           (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_overlapping_runs_are_reported(policy, shown):
    assert check(report("spec.concurrencyPolicy", policy)) == [f"{REPORT} spec.concurrencyPolicy ({shown}) {OVERLAP}"]


def test_forbid_with_a_shared_claim_passes():
    assert check(report(VOLUME, SOL_DATA), sharedClaimNames=["sol-data"]) == []


def test_replace_with_a_claim_is_reported():
    manifest = offline.changed(report(VOLUME, SOL_DATA), "spec.concurrencyPolicy", "Replace")
    assert check(manifest, sharedClaimNames=["sol-data"]) == [
        f"{REPORT} spec.concurrencyPolicy ('Replace') must be Forbid because the pod mounts claim 'sol-data' "
        "(a replaced job's pod may still hold it)."]


def test_single_writer_claim_is_reported_under_forbid():
    assert check(report(VOLUME, SOL_DATA)) == [f"{REPORT} must not mount single-writer claim 'sol-data': {BESIDE}"]


def test_single_writer_claim_is_reported_under_replace_too():
    manifest = offline.changed(report(VOLUME, SOL_DATA), "spec.concurrencyPolicy", "Replace")
    assert check(manifest) == [
        f"{REPORT} must not mount single-writer claim 'sol-data': {BESIDE}",
        f"{REPORT} spec.concurrencyPolicy ('Replace') must be Forbid because the pod mounts claim 'sol-data' "
        "(a replaced job's pod may still hold it)."]


@pytest.mark.parametrize("path, value", [
    (f"{VOLUME}.persistentVolumeClaim", {"claimName": UNKNOWN_STRING_VALUE}),
    ("spec.jobTemplate.spec.template.spec.volumes", UNKNOWN_STRING_VALUE),
])
def test_claim_unknown_at_preview_counts_as_single_writer(path, value):
    assert check(report(path, value)) == [f"{REPORT} must not mount single-writer claim '<unknown>': {BESIDE}"]


@pytest.mark.parametrize("deadline, shown", [(offline.DELETE, "unset"), (0, "0"),
                                             (UNKNOWN_NUMBER_VALUE, "unknown at preview")])
def test_starting_deadline_is_required(deadline, shown):
    assert check(report("spec.startingDeadlineSeconds", deadline)) == [
        f"{REPORT} spec.startingDeadlineSeconds ({shown}) must be a number of seconds above 0 (without it a missed "
        "run starts however late the controller catches up)."]


@pytest.mark.parametrize("name, value, shown", [
    ("successfulJobsHistoryLimit", offline.DELETE, "unset: 3 by default"),
    ("failedJobsHistoryLimit", offline.DELETE, "unset: 1 by default"),
    ("failedJobsHistoryLimit", -1, "-1"),
    ("successfulJobsHistoryLimit", UNKNOWN_NUMBER_VALUE, "unknown at preview"),
])
def test_history_limits_must_be_explicit(name, value, shown):
    assert check(report(f"spec.{name}", value)) == [
        f"{REPORT} spec.{name} ({shown}) must be set to the number of jobs to keep."]


def test_zero_history_is_a_choice():
    assert check(report("spec.failedJobsHistoryLimit", 0)) == []


def test_other_kinds_are_ignored():
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "sol-migrate", "namespace": "matrix"},
           "spec": {"backoffLimit": 0, "template": report()["spec"]["jobTemplate"]["spec"]["template"]}}
    assert check(job) == []
    assert check(offline.corpus_manifest("Deployment", "matrix/sol")) == []

"""policies/kubernetes_resource.py: pod templates of CronJobs and Jobs, and HPA scale targets.

Every pod rule finds its pod through `pod_template()`, so a CronJob's
`spec.jobTemplate.spec.template` and a Job's `spec.template` are checked like
a Deployment's. Each pod rule gets one case per kind here: Sol's hardened pod
passes in a CronJob and a Job, and one broken field is reported with the
CronJob or Job named. (image-pinned-by-digest also has a CronJob case of its own.)
"""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import (
    container_resources,
    image_pinned_by_digest,
    offline,
    pod_security_restricted,
    read_only_root_filesystem,
    service_account_token_not_mounted,
)
from policies.kubernetes_resource import pod_template, scales
from policies.resource_properties import UNKNOWN

POD_RULES = [pod_security_restricted.POLICY, read_only_root_filesystem.POLICY, container_resources.POLICY,
             image_pinned_by_digest.POLICY, service_account_token_not_mounted.POLICY]
CONTAINER = "spec.containers.0"
# (rule, field of the pod template, bad value, message after "<Kind> 'matrix/<name>' ")
FAULTS = [
    (pod_security_restricted.POLICY, f"{CONTAINER}.securityContext.privileged", True,
     "container 'sol' securityContext.privileged (true) must be false or unset."),
    (read_only_root_filesystem.POLICY, f"{CONTAINER}.securityContext.readOnlyRootFilesystem", False,
     "container 'sol' securityContext.readOnlyRootFilesystem (false) must be true."),
    (container_resources.POLICY, f"{CONTAINER}.resources.requests.cpu", offline.DELETE,
     "container 'sol' resources.requests.cpu (unset) must be set to a quantity such as 100m or 256Mi."),
    (image_pinned_by_digest.POLICY, f"{CONTAINER}.image", "registry.sunbeam.pt/studio/sol:1.4.0",
     "container 'sol' image ('registry.sunbeam.pt/studio/sol:1.4.0') must be pinned by digest "
     "(registry/repository@sha256:<64 hex> or @sha512:<128 hex>)."),
    (service_account_token_not_mounted.POLICY, "spec.automountServiceAccountToken", True,
     'pod spec automountServiceAccountToken (true) must be false (only pods labelled azure.workload.identity/use: '
     '"true" may mount a token).'),
]


def sol_pod(path=None, value=None):
    pod = offline.corpus_manifest("Deployment", "matrix/sol")["spec"]["template"]
    pod["spec"]["volumes"][0] = {"name": "data", "emptyDir": {}}
    pod["spec"]["restartPolicy"] = "Never"
    return pod if path is None else offline.changed(pod, path, value)


def cron_job(pod):
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report", "namespace": "matrix"},
            "spec": {"schedule": "0 3 * * *", "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 300,
                     "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                     "jobTemplate": {"spec": {"backoffLimit": 2, "template": pod}}}}


def job(pod):
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "sol-migrate-0123456789ab",
                                                                  "namespace": "matrix"},
            "spec": {"backoffLimit": 0, "template": pod}}


KINDS = {"CronJob 'matrix/report'": cron_job, "Job 'matrix/sol-migrate-0123456789ab'": job}


def check(policy, manifest):
    return offline.check_resource(policy, offline.resource_type_of(manifest), manifest)


@pytest.mark.parametrize("workload", KINDS.values(), ids=["CronJob", "Job"])
def test_pod_template_of_cron_jobs_and_jobs(workload):
    manifest = workload(sol_pod())
    metadata, spec = pod_template(offline.resource_type_of(manifest), manifest)
    assert (metadata, spec) == (sol_pod()["metadata"], sol_pod()["spec"])


@pytest.mark.parametrize("workload", KINDS.values(), ids=["CronJob", "Job"])
@pytest.mark.parametrize("policy", POD_RULES, ids=[policy.name for policy in POD_RULES])
def test_hardened_pod_passes_every_pod_rule(policy, workload):
    assert check(policy, workload(sol_pod())) == []


@pytest.mark.parametrize("who, workload", KINDS.items(), ids=["CronJob", "Job"])
@pytest.mark.parametrize("policy, path, value, message", FAULTS, ids=[fault[0].name for fault in FAULTS])
def test_each_pod_rule_reports_a_fault_in_the_pod_template(policy, path, value, message, who, workload):
    assert check(policy, workload(sol_pod(path, value))) == [f"{who} {message}"]


# scales(): how an HPA's scaleTargetRef is matched

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def deployment(name="sol", namespace="matrix"):
    return {"metadata": {"name": name, "namespace": namespace}}


def autoscaler(name="sol", kind="Deployment", namespace="matrix"):
    return {"metadata": {"name": "sol", "namespace": namespace},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name}}}


@pytest.mark.parametrize("hpa, target, expected", [
    (autoscaler(), deployment(), True),
    (autoscaler(name="web"), deployment(), False),
    (autoscaler(kind="StatefulSet"), deployment(), False),
    (autoscaler(namespace="forge"), deployment(), False),
    (autoscaler(namespace="default"), {"metadata": {"name": "sol"}}, True),  # both land in `default`
    (autoscaler(name=UNKNOWN_STRING_VALUE), deployment(), UNKNOWN),
    (autoscaler(namespace=UNKNOWN_STRING_VALUE), deployment(), UNKNOWN),
    (autoscaler(), deployment(name=UNKNOWN_STRING_VALUE), UNKNOWN),
    (autoscaler(name=UNKNOWN_STRING_VALUE, kind="StatefulSet"), deployment(), False),  # a known difference decides
    (autoscaler(name=UNKNOWN_STRING_VALUE), deployment(namespace="forge"), False),
])
def test_scales_matches_namespace_kind_and_name(hpa, target, expected):
    assert scales(hpa, DEPLOYMENT, target, "fallback") is expected


def test_scales_matches_an_unnamed_object_by_its_pulumi_name():
    assert scales(autoscaler(name="sol-deployment"), DEPLOYMENT, {"metadata": {"namespace": "matrix"}},
                  "sol-deployment") is True

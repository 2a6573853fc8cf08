"""image-pinned-by-digest: the happy path is the good corpus's Sol Deployment; one field changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.image_pinned_by_digest import POLICY

SOL = "Deployment 'matrix/sol'"
DIGEST = "registry.sunbeam.pt/studio/sol@sha256:be539f2bd0ce7b4a99a4dd1ebe22954331a5e1cb7f53152f95e7315914eb0317"
RULE = "must be pinned by digest (registry/repository@sha256:<64 hex> or @sha512:<128 hex>)."


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def sol(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "matrix/sol")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_digest_pinned_images_pass():
    assert check(sol()) == []


def test_a_sha512_digest_passes():
    sha512 = "registry.sunbeam.pt/studio/sol@sha512:" + "0123456789abcdef" * 8
    assert check(sol("spec.template.spec.containers.0.image", sha512)) == []
    assert check(sol("spec.template.spec.containers.0.image", sha512.replace("@", ":1.4.0@"))) == []


def test_tag_and_digest_together_pass():
    assert check(sol("spec.template.spec.containers.0.image", DIGEST.replace("@", ":1.4.0@"))) == []


@pytest.mark.parametrize("image, shown", [
    ("registry.sunbeam.pt/studio/sol:1.4.0", "'registry.sunbeam.pt/studio/sol:1.4.0'"),
    ("registry.sunbeam.pt/studio/sol", "'registry.sunbeam.pt/studio/sol'"),
    ("registry.sunbeam.pt/studio/sol@sha256:abc", "'registry.sunbeam.pt/studio/sol@sha256:abc'"),
    (DIGEST.upper(), repr(DIGEST.upper())),
    (DIGEST.replace("sha256", "sha512"), repr(DIGEST.replace("sha256", "sha512"))),  # 64 digits: not a sha512
    (DIGEST.replace("sha256", "sha384"), repr(DIGEST.replace("sha256", "sha384"))),  # not registered
    ("registry.sunbeam.pt/studio/sol@multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
     "'registry.sunbeam.pt/studio/sol@multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8'"),
    (UNKNOWN_STRING_VALUE, "unknown at preview"),
])
def test_container_image_must_be_digest(image, shown):
    assert check(sol("spec.template.spec.containers.0.image", image)) == [
        f"{SOL} container 'sol' image ({shown}) {RULE}"]


def test_init_container_image_is_checked():
    assert check(sol("spec.template.spec.initContainers.0.image", "busybox:1.37")) == [
        f"{SOL} initContainer 'create-data-directories' image ('busybox:1.37') {RULE}"]


def test_missing_image_is_reported():
    assert check(sol("spec.template.spec.containers.0.image", offline.DELETE)) == [
        f"{SOL} container 'sol' image (unset) {RULE}"]


def test_unknown_containers_list_is_reported_not_skipped():
    assert check(sol("spec.template.spec.containers", UNKNOWN_STRING_VALUE)) == [
        f"{SOL} containers image (unknown at preview) {RULE}"]


def test_cronjob_pod_template_is_found():
    container = sol()["spec"]["template"]["spec"]["containers"][0]
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "matrix"},
               "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {
                   "containers": [{**container, "image": "backup:1"}]}}}}}}
    assert check(cronjob) == [f"CronJob 'matrix/backup' container 'sol' image ('backup:1') {RULE}"]


def test_other_kinds_are_ignored():
    assert check(offline.corpus_manifest("ConfigMap", "matrix/sol-config")) == []

"""service-type-cluster-ip: Forgejo's ClusterIP Service passes; one field changes per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.service_type_cluster_ip import POLICY

FORGE = "Service 'forge/forge'"
UNLESS = "(or list 'forge/forge' in allowedExposedServices)."


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def forge(path=None, value=None):
    manifest = offline.corpus_manifest("Service", "forge/forge")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_cluster_ip_passes():
    assert check(forge()) == []


def test_unset_type_is_cluster_ip():
    assert check(forge("spec.type", offline.DELETE)) == []


def test_headless_service_passes():
    assert check(forge("spec.clusterIP", "None")) == []


@pytest.mark.parametrize("service_type, shown", [
    ("NodePort", "'NodePort'"),
    ("LoadBalancer", "'LoadBalancer'"),
    ("ExternalName", "'ExternalName'"),
    (UNKNOWN_STRING_VALUE, "unknown at preview"),
])
def test_other_types_are_reported(service_type, shown):
    assert check(forge("spec.type", service_type)) == [f"{FORGE} spec.type ({shown}) must be ClusterIP {UNLESS}"]


@pytest.mark.parametrize("external_ips, shown", [(["203.0.113.7"], '["203.0.113.7"]'),
                                                 (UNKNOWN_ARRAY_VALUE, "unknown at preview")])
def test_external_ips_are_reported(external_ips, shown):
    assert check(forge("spec.externalIPs", external_ips)) == [
        f"{FORGE} spec.externalIPs ({shown}) must be unset {UNLESS}"]


def test_empty_external_ips_pass():
    assert check(forge("spec.externalIPs", [])) == []


@pytest.mark.parametrize("service_type", ["NodePort", "LoadBalancer", "ExternalName"])
def test_an_allowed_service_may_be_exposed(service_type):
    assert check(forge("spec.type", service_type), allowedExposedServices=["forge/forge"]) == []


def test_the_allow_list_names_namespace_and_name():
    assert check(forge("spec.type", "LoadBalancer"), allowedExposedServices=["forge", "other/forge"]) == [
        f"{FORGE} spec.type ('LoadBalancer') must be ClusterIP {UNLESS}"]


def test_a_service_without_namespace_is_matched_in_default():
    manifest = forge("metadata.namespace", offline.DELETE)
    manifest["spec"]["type"] = "NodePort"
    assert check(manifest, allowedExposedServices=["default/forge"]) == []


def test_a_service_whose_namespace_is_unknown_cannot_be_allowed():
    manifest = forge("metadata.namespace", UNKNOWN_STRING_VALUE)
    manifest["spec"]["type"] = "NodePort"
    assert check(manifest, allowedExposedServices=["forge/forge"]) == [
        "Service '<unknown>/forge' spec.type ('NodePort') must be ClusterIP "
        "(or list '<unknown>/forge' in allowedExposedServices)."]


def test_other_kinds_are_ignored():
    assert check(offline.corpus_manifest("Deployment", "forge/forge")) == []

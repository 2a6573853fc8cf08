"""not-cluster-owned-namespace: no Namespace object or NetworkPolicy for a namespace the cluster owns."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.not_cluster_owned_namespace import POLICY


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def namespace(name):
    return offline.changed(offline.corpus_manifest("Namespace", "matrix"), "metadata.name", name)


def network_policy(namespace_name):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": namespace_name},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}


def test_own_namespace_passes():
    assert check(namespace("matrix")) == []
    assert check(network_policy("matrix")) == []


@pytest.mark.parametrize("name", ["kube-system", "kube-public", "kube-node-lease", "default", "ingress-nginx",
                                  "envoy-gateway-system"])
def test_a_namespace_the_cluster_owns_is_refused(name):
    assert check(namespace(name)) == [
        f"Namespace '{name}' must not be created or owned by a stack: the cluster owns {name!r} (deploy into a "
        "namespace of your own)."]


def test_a_network_policy_in_kube_system_is_refused():
    assert check(network_policy("kube-system")) == [
        "NetworkPolicy 'kube-system/default-deny' must not isolate pods in 'kube-system': the cluster owns that "
        "namespace and its pods."]


def test_the_platform_namespaces_are_configurable():
    assert check(namespace("dns"), platformNamespaces=["dns"]) == [
        "Namespace 'dns' must not be created or owned by a stack: the cluster owns 'dns' (deploy into a namespace "
        "of your own)."]
    assert check(namespace("ingress-nginx"), platformNamespaces=[]) == []


def test_unknown_names_pass():
    assert check(namespace(UNKNOWN_STRING_VALUE)) == []
    assert check(network_policy(UNKNOWN_STRING_VALUE)) == []

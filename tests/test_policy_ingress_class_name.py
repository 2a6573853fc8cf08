"""ingress-class-name: spec.ingressClassName must be set (and allowed, when a list is configured)."""
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import offline
from policies.ingress_class_name import POLICY


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def ingress(value=None):
    manifest = offline.corpus_manifest("Ingress", "forge/forge")
    return manifest if value is None else offline.changed(manifest, "spec.ingressClassName", value)


def test_class_name_passes():
    assert check(ingress(), allowedClasses=["nginx"]) == []


@pytest.mark.parametrize("value, shown", [(offline.DELETE, "unset"), ("", "''"), (UNKNOWN_STRING_VALUE, "unknown at preview")])
def test_missing_class_name_is_reported(value, shown):
    assert check(ingress(value)) == [f"Ingress 'forge/forge' spec.ingressClassName ({shown}) must be set."]


def test_class_outside_the_list_is_reported():
    assert check(ingress("traefik"), allowedClasses=["nginx"]) == [
        "Ingress 'forge/forge' spec.ingressClassName ('traefik') must be one of: nginx."]

"""ingress-no-snippet-annotations: ingress-nginx *-snippet annotations are reported, others pass."""
import pytest
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE

from policies import offline
from policies.ingress_no_snippet_annotations import POLICY


def check(manifest, **config):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest, config)


def ingress_with(annotation=None, value="x"):
    manifest = offline.corpus_manifest("Ingress", "forge/forge")
    if annotation is not None:
        manifest["metadata"]["annotations"][annotation] = value
    return manifest


def test_ordinary_annotations_pass():
    assert check(ingress_with("nginx.ingress.kubernetes.io/proxy-read-timeout", "3600")) == []


@pytest.mark.parametrize("name", ["configuration-snippet", "server-snippet", "auth-snippet", "stream-snippet",
                                  "server-snippets"])
def test_snippets_are_reported(name):
    assert check(ingress_with(f"nginx.ingress.kubernetes.io/{name}")) == [
        f"Ingress 'forge/forge' annotation 'nginx.ingress.kubernetes.io/{name}' must be removed "
        "(snippets inject raw nginx configuration)."]


def test_unknown_annotations_are_reported():
    manifest = offline.changed(ingress_with(), "metadata.annotations", UNKNOWN_OBJECT_VALUE)
    assert check(manifest) == [
        "Ingress 'forge/forge' metadata.annotations (unknown at preview) must be known, without snippets."]


def test_pattern_is_configurable():
    assert check(ingress_with("example.com/lua"), annotationPattern=r"example\.com/lua") == [
        "Ingress 'forge/forge' annotation 'example.com/lua' must be removed (snippets inject raw nginx configuration)."]

"""route-backend-exists: Forgejo's Ingress names its Service and port; one change per case."""
from policies import offline
from policies.route_backend_exists import POLICY

BACKEND = "Ingress 'forge/forge' spec.rules[0].http.paths[0].backend"
PATH = "spec.rules.0.http.paths.0.backend.service"


def check(*manifests):
    return offline.check_stack(POLICY, offline.overlay(offline.corpus_resources(),
                                                       *map(offline.resource_from_manifest, manifests)))


def ingress(path=None, value=None):
    manifest = offline.corpus_manifest("Ingress", "forge/forge")
    return manifest if path is None else offline.changed(manifest, path, value)


def route(backend_refs):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "forge", "namespace": "forge"},
            "spec": {"parentRefs": [{"name": "edge", "namespace": "edge"}], "hostnames": ["forge.sunbeam.pt"],
                     "rules": [{"backendRefs": backend_refs}]}}


def test_the_corpus_passes():
    assert check() == []


def test_a_missing_service_is_reported():
    assert check(ingress(f"{PATH}.name", "forge-http")) == [("forge/forge", (
        f"{BACKEND} must name a Service of this scan ('forge/forge-http' is not one: the route would answer 503)."))]


def test_a_port_the_service_lacks_is_reported_by_name_and_number():
    assert check(ingress(f"{PATH}.port", {"name": "web"})) == [("forge/forge", (
        f"{BACKEND} must use a port Service 'forge/forge' exposes (port 'web' is not in its spec.ports)."))]
    assert check(ingress(f"{PATH}.port", {"number": 8080})) == [("forge/forge", (
        f"{BACKEND} must use a port Service 'forge/forge' exposes (port 8080 is not in its spec.ports)."))]
    assert check(ingress(f"{PATH}.port", {"number": 80})) == []


def test_the_default_backend_is_checked():
    manifest = ingress("spec.defaultBackend", {"service": {"name": "missing", "port": {"number": 80}}})
    assert [message for _, message in check(manifest)] == [
        "Ingress 'forge/forge' spec.defaultBackend must name a Service of this scan ('forge/missing' is not one: "
        "the route would answer 503)."]


def test_http_route_backend_refs_are_checked():
    assert check(route([{"name": "forge", "port": 80}])) == []
    assert [message for _, message in check(route([{"name": "forge", "port": 3000}, {"name": "gone", "port": 80},
                                                   {"name": "forge", "namespace": "matrix", "port": 80}]))] == [
        "HTTPRoute 'forge/forge' spec.rules[0].backendRefs[0] must use a port Service 'forge/forge' exposes "
        "(port 3000 is not in its spec.ports).",
        "HTTPRoute 'forge/forge' spec.rules[0].backendRefs[1] must name a Service of this scan ('forge/gone' is not "
        "one: the route would answer 503).",
        "HTTPRoute 'forge/forge' spec.rules[0].backendRefs[2] must name a Service of this scan ('matrix/forge' is "
        "not one: the route would answer 503).",
    ]


def test_backend_refs_of_other_kinds_are_left_out():
    assert check(route([{"group": "example.io", "kind": "Backend", "name": "anything"}])) == []

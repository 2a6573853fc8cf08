"""probe-port-declared: memQL's BFF probes name its declared port 'http'; one change per case."""
import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from policies import offline
from policies.probe_port_declared import POLICY

CONTAINER = "spec.template.spec.containers.0"
WHO = "Deployment 'memql/memql-bff' container 'memql-bff'"


def check(manifest):
    return offline.check_resource(POLICY, offline.resource_type_of(manifest), manifest)


def bff(path=None, value=None):
    manifest = offline.corpus_manifest("Deployment", "memql/memql-bff")
    return manifest if path is None else offline.changed(manifest, path, value)


def test_declared_names_and_numbers_pass():
    assert check(bff()) == []
    assert check(bff(f"{CONTAINER}.readinessProbe.httpGet.port", 8085)) == []
    assert check(offline.corpus_manifest("Deployment", "matrix/sol")) == []


@pytest.mark.parametrize("probe, handler", [("readinessProbe", "httpGet"), ("livenessProbe", "httpGet")])
def test_an_undeclared_name_is_reported(probe, handler):
    assert check(bff(f"{CONTAINER}.{probe}.{handler}.port", "health")) == [
        f"{WHO} {probe}.{handler}.port ('health') must name a port the container declares "
        "(ports[].name: 'http', 'mesh')."]


def test_tcp_socket_and_startup_probes_are_checked():
    manifest = bff(f"{CONTAINER}.startupProbe", {"tcpSocket": {"port": "grpc"}})
    assert check(manifest) == [f"{WHO} startupProbe.tcpSocket.port ('grpc') must name a port the container "
                               "declares (ports[].name: 'http', 'mesh')."]


def test_unknowns_are_reported():
    assert check(bff(f"{CONTAINER}.readinessProbe.httpGet.port", UNKNOWN_STRING_VALUE)) == [
        f"{WHO} readinessProbe.httpGet.port (unknown at preview) must name a port the container declares "
        "(ports[].name: 'http', 'mesh')."]
    assert len(check(bff(f"{CONTAINER}.ports", UNKNOWN_ARRAY_VALUE))) == 2  # liveness and readiness

from components.namespace import Namespace
from config_models.namespace import NamespaceSpec
from stackctl.render import record_resources


def test_namespace_enforces_restricted_and_is_protected():
    result = record_resources(lambda: Namespace("matrix", NamespaceSpec(labels={"team": "chat"}), "staging"))
    (namespace,) = result.resources
    assert namespace.type == "kubernetes:core/v1:Namespace"
    assert namespace.urn.endswith("platform:kubernetes:Namespace$kubernetes:core/v1:Namespace::matrix-namespace")
    labels = namespace.inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    assert labels["team"] == "chat" and labels["platform/environment"] == "staging"
    assert namespace.protect and namespace.retain_on_delete, namespace.urn

import pytest

from config_models.base import ConfigError, validate_config
from components.workloads.single_writer_deployment import SingleWriterDeployment, build_pod_template
from config_models.workloads.single_writer import SingleWriterSpec
from stackctl.render import record_resources
from components.workloads.workload_inputs import WorkloadInputs

IMAGE = "registry.example.com/app/sol@sha256:" + "a" * 64
BASE = {
    "namespace": "matrix",
    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    "data": {"claimName": "sol-data", "size": "1Gi"},
    "configFiles": {"configMapName": "sol-config",
                    "files": {"sol.toml": {"source": "config/sol/sol.toml", "mountPath": "/etc/sol/sol.toml"}}},
}
FILES = {"config/sol/sol.toml": "[a]\nb = 1\n"}


def _spec(**overrides) -> SingleWriterSpec:
    return validate_config(SingleWriterSpec, {**BASE, **overrides})


def test_deployment_is_replaced_delete_first_with_stable_names():
    result = record_resources(lambda: SingleWriterDeployment("sol", _spec(), WorkloadInputs("staging", {"sol": IMAGE}, FILES)))
    by_type = {resource.type: resource for resource in result.resources}
    deployment = by_type["kubernetes:apps/v1:Deployment"]
    assert deployment.delete_before_replace, deployment.urn
    assert deployment.inputs["metadata"]["name"] == "sol"
    assert deployment.inputs["spec"]["replicas"] == 1
    assert deployment.inputs["spec"]["strategy"] == {"type": "Recreate"}
    config_map = by_type["kubernetes:core/v1:ConfigMap"]
    assert config_map.inputs["metadata"]["name"] == "sol-config"
    assert config_map.inputs["data"] == {"sol.toml": "[a]\nb = 1\n"}
    assert config_map.delete_before_replace


def test_every_container_is_hardened_including_the_init_container():
    spec = _spec(dataDirectories={"image": "busybox", "paths": ["matrix-state"]})
    pod = build_pod_template("sol", spec, "staging", IMAGE, {}, init_image=IMAGE)["spec"]
    for container in pod["containers"] + pod["initContainers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] and context["runAsUser"] == 65532
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_writable_root_filesystem_is_a_named_opt_out():
    pod = build_pod_template("sol", _spec(allowWritableRootFilesystem=True), "dev", IMAGE, {})["spec"]
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False


def test_config_checksum_follows_content():
    first = build_pod_template("sol", _spec(), "staging", IMAGE, {"sol.toml": "a"})
    second = build_pod_template("sol", _spec(), "staging", IMAGE, {"sol.toml": "b"})
    assert first["metadata"]["annotations"]["checksum/config"] != second["metadata"]["annotations"]["checksum/config"]


@pytest.mark.parametrize("overrides, message", [
    ({"replicas": 2}, "replicas: 2 is not allowed: a single-writer deployment runs exactly 1 replica "
                      "(its data is on a ReadWriteOnce volume); remove the key, or use kind: replicated for a stateless service"),
    ({"strategy": "RollingUpdate"}, "strategy: 'RollingUpdate' is not allowed: a single writer must stop before its "
                                    "replacement starts, so the strategy is always Recreate; remove the key"),
    ({"env": {"A": "1"}, "secretEnv": {"A": {"secret": "s", "key": "k"}}},
     "(top level): env vars ['A'] are set in both env and secretEnv; keep one"),
    ({"resources": {"requests": {"cpu": "100m", "memory": "1Gi"}, "limits": {"memory": "512Mi"}}},
     "resources: limits.memory '512Mi' must be at least requests.memory '1Gi'"),
    ({"dataDirectories": {"image": "busybox", "paths": ["../etc"]}},
     "dataDirectories.paths: '../etc' must be a directory relative to the data mount (e.g. matrix-state)"),
])
def test_rejected_service_settings(overrides, message):
    with pytest.raises(ConfigError) as raised:
        _spec(**overrides)
    assert raised.value.problems == [message]

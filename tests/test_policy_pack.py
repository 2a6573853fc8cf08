"""The pack as the engine sees it: served by `policies/__main__.py` over the analyzer gRPC protocol.

`pulumi preview --policy-pack policies` runs the directory with
runpy.run_path; `python policies` does the same. The test talks to that
process the way the engine does (GetAnalyzerInfo, Configure, Analyze,
AnalyzeStack), so it checks the bootstrap, the registry, the config schemas
and, through the real SDK servicer, that an unknown security field is a
*mandatory* violation rather than the SDK's advisory "can't run policy".
"""
import json
import re
import select
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

from policies import offline
from policies.registry import PACK_NAME, POLICIES

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies"


@pytest.fixture(scope="module")
def analyzer():
    process = subprocess.Popen([sys.executable, str(PACK)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=str(ROOT / "tests"))
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the pack did not print its port within 60 s"
        port = int(process.stdout.readline().decode().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def configure(stub, stack):
    config = json.loads((PACK / "config" / f"{stack}.json").read_text())
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    levels = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
              "disabled": analyzer_pb2.DISABLED}
    for name, settings in offline.reconcile_config(POLICIES, config).items():
        policy_config = request.policyConfig[name]
        policy_config.enforcementLevel = levels[settings.level.value]
        policy_config.properties.update(settings.config)
    stub.Configure(request)


def struct(value):
    message = struct_pb2.Struct()
    message.update(value)
    return message


def test_registry_names_are_kebab_case_unique_and_match_their_modules():
    names = [policy.name for policy in POLICIES]
    assert len(names) == len(set(names)) == 53
    for name in names:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name
        module = name.replace("-", "_")
        assert (PACK / f"{module}.py").is_file(), f"policy {name} must live in policies/{module}.py"
        assert (ROOT / "tests" / f"test_policy_{module}.py").is_file(), f"policy {name} must have its test"


def test_descriptions_are_one_sentence():
    for policy in POLICIES:
        assert policy.description.endswith(".") and policy.description.count(". ") == 0, policy.name


def test_stack_rules_come_after_the_resource_rules():
    assert [isinstance(policy, StackValidationPolicy) for policy in POLICIES] == [False] * 36 + [True] * 17


def test_policy_pack_yaml_runs_python_in_its_own_virtualenv():
    project = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    requirements = (PACK / "requirements.txt").read_text().split()
    program_pin = next(line for line in (PACK.parent / "requirements.txt").read_text().split()
                       if line.startswith("pulumi=="))
    # The pack's SDK is the version the engine is built from, as the program's is.
    assert "pulumi-policy==1.21.0" in requirements and program_pin in requirements and program_pin == "pulumi==3.259.0"


def test_engine_sees_every_policy_with_its_level_and_schema(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    assert [policy.name for policy in info.policies] == [policy.name for policy in POLICIES]
    assert {policy.enforcementLevel for policy in info.policies} == {analyzer_pb2.MANDATORY}
    headroom = next(policy for policy in info.policies if policy.name == "node-pool-headroom")
    assert headroom.policy_type == analyzer_pb2.POLICY_TYPE_STACK
    assert "Standard_B2s" in headroom.configSchema.properties["allocatable"]["default"]


def test_unknown_security_field_is_a_mandatory_violation_through_the_sdk(analyzer):
    configure(analyzer, "prod")
    deployment = offline.corpus_manifest("Deployment", "matrix/sol")
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = \
        UNKNOWN_BOOLEAN_VALUE
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type="kubernetes:apps/v1:Deployment", properties=struct(deployment), name="sol-deployment",
        urn="urn:pulumi:prod::platform::kubernetes:apps/v1:Deployment::sol-deployment",
        options=analyzer_pb2.AnalyzerResourceOptions()))
    assert [(d.policyName, d.enforcementLevel, d.message.splitlines()[-1]) for d in response.diagnostics] == [(
        "pod-security-restricted", analyzer_pb2.MANDATORY,
        "Deployment 'matrix/sol' container 'sol' securityContext.allowPrivilegeEscalation (unknown at preview) "
        "must be false.")]


def test_good_corpus_passes_every_policy_through_the_sdk(analyzer):
    configure(analyzer, "prod")
    resources = []
    for resource in offline.corpus_resources():
        urn = f"urn:pulumi:prod::platform::{resource.resource_type}::{resource.name}"
        options = analyzer_pb2.AnalyzerResourceOptions(protect=resource.resource_type.endswith("PersistentVolumeClaim"))
        response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
            type=resource.resource_type, properties=struct(resource.props), urn=urn, name=resource.name,
            options=options))
        assert list(response.diagnostics) == [], resource.name
        resources.append(analyzer_pb2.AnalyzerResource(
            type=resource.resource_type, properties=struct(resource.props), urn=urn, name=resource.name,
            options=options))
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
    assert list(response.diagnostics) == []


def test_stack_rule_reports_through_the_sdk_with_the_resource_urn(analyzer):
    configure(analyzer, "staging")
    claim = offline.corpus_manifest("PersistentVolumeClaim", "matrix/sol-data")
    urn = "urn:pulumi:staging::platform::kubernetes:core/v1:PersistentVolumeClaim::sol-data-claim"
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[analyzer_pb2.AnalyzerResource(
        type="kubernetes:core/v1:PersistentVolumeClaim", properties=struct(claim), urn=urn, name="sol-data-claim",
        options=analyzer_pb2.AnalyzerResourceOptions(protect=False))]))
    assert [(d.policyName, d.urn, d.enforcementLevel) for d in response.diagnostics] == [
        ("persistent-volume-claim-protected", urn, analyzer_pb2.MANDATORY)]

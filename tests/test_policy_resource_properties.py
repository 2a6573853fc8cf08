"""How unknown values reach a policy, and how the pack reads them (policies/resource_properties.py)."""
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies import offline
from policies.resource_properties import UNKNOWN, describe, field, items, plain, settings


def _naive(args, report_violation):
    if args.props["spec"]["privileged"] is not False:  # raises UnknownValueError at preview
        report_violation("privileged must be false.")


NAIVE = ResourceValidationPolicy(name="naive", description="A rule that reads props directly.", validate=_naive,
                                 enforcement_level=EnforcementLevel.MANDATORY)


def test_sdk_turns_an_unknown_into_an_advisory_diagnostic_even_for_a_mandatory_policy():
    # The behaviour the pack is designed around, straight from the SDK's servicer.
    servicer = _PolicyAnalyzerServicer("pack", "0.0.1", [NAIVE], EnforcementLevel.MANDATORY)
    properties = struct_pb2.Struct()
    properties.update({"spec": {"privileged": UNKNOWN_BOOLEAN_VALUE}})
    response = servicer.Analyze(analyzer_pb2.AnalyzeRequest(type="t:m:R", properties=properties, urn="u", name="n",
                                                            options=analyzer_pb2.AnalyzerResourceOptions()), None)
    diagnostic, = response.diagnostics
    assert diagnostic.enforcementLevel == analyzer_pb2.ADVISORY
    assert diagnostic.message == ("can't run policy 'naive' from policy pack 'pack@v0.0.1' during preview: "
                                  "boolean value at .spec.privileged can't be known during preview")


def test_offline_runner_reproduces_that_diagnostic():
    violations = offline.evaluate([offline.Resource("t:m:R", "n", {"spec": {"privileged": UNKNOWN_BOOLEAN_VALUE}})],
                                  {"naive": "mandatory"}, "test", [NAIVE])
    assert violations == [offline.Violation(
        "naive", "", "can't run policy 'naive' from policy pack 'platform' during preview: "
                     "boolean value at .spec.privileged can't be known during preview", "advisory")]


@pytest.mark.parametrize("props", [{"a": {"b": UNKNOWN_STRING_VALUE}}, unknown_checking_proxy({"a": {"b": UNKNOWN_STRING_VALUE}})])
def test_field_returns_unknown_for_proxies_and_plain_dicts(props):
    assert field(props, "a", "b") is UNKNOWN
    assert field(props, "a", "b", "c") is UNKNOWN
    assert field(props, "a", "missing") is None
    assert field(props, "a", "b", 0) is UNKNOWN


def test_field_treats_wrong_shapes_as_missing():
    assert field({"a": [1, 2]}, "a", "b") is None
    assert field({"a": [1, 2]}, "a", 5) is None
    assert field({"a": "text"}, "a", 0) is None


def test_items_yields_one_unknown_for_an_unknown_list():
    assert list(items(UNKNOWN_STRING_VALUE)) == [UNKNOWN]
    assert list(items(unknown_checking_proxy({"l": [1, UNKNOWN_STRING_VALUE]})["l"])) == [1, UNKNOWN]
    assert list(items(None)) == []


def test_unknown_has_no_truth_value():
    with pytest.raises(TypeError, match="no truth value"):
        bool(UNKNOWN)


@pytest.mark.parametrize("value, text", [(UNKNOWN, "unknown at preview"), (None, "unset"), (True, "true"),
                                         ("x", "'x'"), (2.0, "2"), (0.5, "0.5"), (["a", UNKNOWN], '["a", "unknown at preview"]')])
def test_describe_quotes_values_for_messages(value, text):
    assert describe(value) == text


def test_plain_copies_proxies():
    assert plain(unknown_checking_proxy({"a": [{"b": UNKNOWN_STRING_VALUE}]})) == {"a": [{"b": UNKNOWN}]}


def test_settings_overlay_defaults():
    assert settings({"b": 3}, {"a": 1, "b": 2}) == {"a": 1, "b": 3}

"""`stackctl schema`: the JSON Schema of the stack files and docs/config.md, generated from the models.

Checked here: both checked-in files are what the models generate now; every
stack file of the repository names the schema and validates against it; the
schema refuses what the models refuse (an unknown key, a wrong type); every
key of every model is in the reference; and each "prod requires" entry is a
rule the config validation really enforces (broken one at a time in prod).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from config_models.base import ConfigError
from config_models.stack import PROJECT_NAME, StackConfig
from stack_checks.load import parse_stack_config
from stackctl import __main__ as stackctl
from stackctl.schema import PROD_REQUIREMENTS, REFERENCE_FILE, SCHEMA_FILE, generated_files

ROOT = Path(__file__).resolve().parent.parent
STACK_FILES = sorted([*ROOT.glob("Pulumi.*.yaml"), *(ROOT / "tests" / "data").rglob("Pulumi.*.yaml")])


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / SCHEMA_FILE).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_checked_in_schema_and_reference_are_current():
    for relative, text in generated_files().items():
        assert (ROOT / relative).read_text() == text, f"{relative} is stale: run `stackctl schema --write`"


def test_check_flag_finds_a_stale_file(tmp_path, capsys):
    for relative, text in generated_files().items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    assert stackctl.main(["schema", "--check", "--root", str(tmp_path)]) == 0
    (tmp_path / REFERENCE_FILE).write_text("hand-edited\n")
    assert stackctl.main(["schema", "--check", "--root", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "stale: docs/config.md (regenerate with `stackctl schema --write`)")


@pytest.mark.parametrize("stack_file", STACK_FILES[:2], ids=lambda path: path.name)
def test_stack_files_name_the_schema_on_their_first_line(stack_file):
    first = stack_file.read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema=./{SCHEMA_FILE.as_posix()}"
    assert (stack_file.parent / SCHEMA_FILE).is_file()


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.name)
def test_every_stack_file_validates(stack_file):
    document = yaml.safe_load(stack_file.read_text())
    assert [f"{list(error.absolute_path)}: {error.message}" for error in _validator().iter_errors(document)] == []


def _errors(document) -> list[str]:
    return sorted(".".join(map(str, error.absolute_path)) for error in _validator().iter_errors(document))


def test_schema_refuses_what_the_models_refuse():
    document = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    typo = copy.deepcopy(document)
    typo["config"][f"{PROJECT_NAME}:services"]["sol"]["replicaz"] = 1
    assert _errors(typo) == [f"config.{PROJECT_NAME}:services.sol"]
    unknown_top = copy.deepcopy(document)
    unknown_top["config"][f"{PROJECT_NAME}:servicez"] = {}
    assert _errors(unknown_top) == ["config"]
    wrong_type = copy.deepcopy(document)
    wrong_type["config"][f"{PROJECT_NAME}:release"]["promotionGate"] = {"minSoakHours": "a day"}
    assert _errors(wrong_type) == [f"config.{PROJECT_NAME}:release.promotionGate.minSoakHours"]
    # Provider settings are not this project's to check.
    provider = copy.deepcopy(document)
    provider["config"]["kubernetes:context"] = "aks"
    assert _errors(provider) == []
    for broken in (typo, wrong_type):
        values = {key.split(":", 1)[1]: value for key, value in broken["config"].items()}
        with pytest.raises(ConfigError):
            parse_stack_config(values, ROOT)


def _model_keys(model, seen=None) -> set[str]:
    """Every camelCase key of `model` and of the models below it."""
    from typing import get_args

    from pydantic import BaseModel

    seen = set() if seen is None else seen
    keys = set()
    if model in seen:
        return keys
    seen.add(model)
    for name, field in model.model_fields.items():
        keys.add(field.alias or name)
        stack = [field.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                keys |= _model_keys(annotation, seen)
            stack.extend(get_args(annotation))
    return keys


def test_reference_lists_every_key_of_every_model():
    reference = (ROOT / REFERENCE_FILE).read_text()
    documented = {cell.strip("`").split(".")[-1].split("[")[0]
                  for line in reference.splitlines() if line.startswith("| `")
                  for cell in [line.split(" | ")[0].removeprefix("| ")]}
    assert sorted(_model_keys(StackConfig) - documented) == []


def _prod_values() -> dict:
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    return {key.split(":", 1)[1]: value for key, value in document["config"].items()}


def _break(values: dict, requirement: str) -> str:
    """Break one prod requirement in `values`; return the key path the refusal must name."""
    services, vault, azure = values["services"], values["vault"], values["azure"]
    if requirement == "release.registryAllowlist":
        values["release"]["registryAllowlist"] = []
    elif requirement == "release.promotionGate.ledger":
        del values["release"]["promotionGate"]["ledger"]
    elif requirement == "services.<name>.allowWritableRootFilesystem":
        services["sol"]["allowWritableRootFilesystem"] = True
        return "services.sol.allowWritableRootFilesystem"
    elif requirement == "services.<name>.data.backup":
        del services["sol"]["data"]["backup"]
        return "services.sol.data.backup"
    elif requirement == "services.<name>.replicas (replicated)":
        services["memql-bff"]["replicas"] = 1
        return "services.memql-bff.replicas"
    elif requirement == "routing.tls":
        del values["routing"]["tls"]
    elif requirement == "vault.address":
        vault["address"] = vault["address"].replace("https://", "http://")
    elif requirement == "vault.caCertFile":
        del vault["caCertFile"]
    elif requirement == "vault.skipTlsVerify":
        vault["skipTlsVerify"] = True
    elif requirement == "azure.keyVault.create.network.publicAccess":
        azure["keyVault"]["create"]["network"] = {"publicAccess": "open"}
    elif requirement == "azure.cluster.nodePool.minCount":
        pool = azure["cluster"]["nodePool"]
        pool["minCount"] = 1
        pool["ownerApprovedBounds"] = {"minCount": 1, "maxCount": pool["maxCount"]}  # approved, still below the floor
    else:
        raise AssertionError(f"no test breaks the prod requirement {requirement!r}: add it to _break")
    return requirement


@pytest.mark.parametrize("requirement", sorted(PROD_REQUIREMENTS))
def test_each_prod_requirement_is_enforced(requirement):
    parse_stack_config(_prod_values(), ROOT)  # the prod stack as it is passes
    values = _prod_values()
    key = _break(values, requirement)
    with pytest.raises(ConfigError) as refused:
        parse_stack_config(values, ROOT)
    assert any(problem.startswith(f"{key}:") for problem in refused.value.problems), refused.value.problems
    # The reference shows it in the row of that key.
    path = requirement.split(" (")[0]
    assert f"| `{path}` |" in (ROOT / REFERENCE_FILE).read_text()


def test_schema_verb_prints_the_schema_and_json_output_validates(capsys):
    assert stackctl.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((ROOT / SCHEMA_FILE).read_text())
    assert stackctl.main(["schema", "--check", "--output", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, json.loads((ROOT / "stackctl" / "output_schemas" / "schema.schema.json")
                                             .read_text()))
    assert document["stale"] == []

"""The import contracts (.importlinter, run by scripts/test with lint-imports) cover every package.

lint-imports checks only the packages `root_packages` names: a new top-level
package left out of it, or out of the layers, would import anything unseen.
"""
from __future__ import annotations

import configparser
from pathlib import Path

from stackctl.engine_workspace import PROGRAM_PACKAGES

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    return parser


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def test_every_top_level_package_is_under_contract():
    packages = sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))
    assert sorted(_lines(_contracts()["importlinter"]["root_packages"])) == packages


def test_the_layers_are_stackctl_then_the_program_packages_in_order():
    layers = _lines(_contracts()["importlinter:contract:layers"]["layers"])
    assert layers == ["stackctl", *PROGRAM_PACKAGES], \
        "stackctl.engine_workspace.PROGRAM_PACKAGES lists the program's packages top layer first, as .importlinter"


def test_the_policy_pack_may_import_only_platform_facts():
    contract = _contracts()["importlinter:contract:policy-pack"]
    forbidden = set(_lines(contract["forbidden_modules"]))
    assert forbidden == set(_lines(_contracts()["importlinter"]["root_packages"])) - {"policies", "platform_facts"}

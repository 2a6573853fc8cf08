"""What the Pulumi engine runs for `pulumi preview --policy-pack policies`: the pack, assembled."""
import importlib.util
import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# The engine runs this file with runpy.run_path(<pack directory>): the pack's
# modules are then not a package, but they import each other relatively (so
# that tests and stackctl import them as `policies.*`). Load the directory as
# the package `policies`, whatever the directory is called once published.
_PACK_DIRECTORY = Path(__file__).resolve().parent
# The facts the pack shares with the program come from the installed package
# platform-facts (policies/requirements.txt), not from the repository around it.
if "policies" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "policies", _PACK_DIRECTORY / "__init__.py", submodule_search_locations=[str(_PACK_DIRECTORY)])
    sys.modules["policies"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["policies"])

from policies.registry import PACK_NAME, POLICIES  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    # Every policy sets its own level; this covers one added without.
    enforcement_level=EnforcementLevel.MANDATORY,
)

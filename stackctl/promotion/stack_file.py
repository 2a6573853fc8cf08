"""A stack file (`Pulumi.<stack>.yaml`) as promotion reads it, and the types every promotion module shares.

Here: the refusal every step raises (`PromotionRefused`), the config keys,
one component's release entry, the stack file as read (`read_stack_file`
checks its `platform:release` block), one component's planned change
(`ComponentChange`), and the ruamel.yaml round-trip settings the reader, the
editor and the verifier all parse with. This is the bottom of
`stackctl.promotion`: it imports no other promotion module, and any of them
may import it, as may `stackctl/promote.py` and `stackctl/verify.py` (which
reads the stack's release block the same way).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from config_models.release_digest import ReleaseError, parse_pinned_image

RELEASE_KEY = "platform:release"
ENVIRONMENT_KEY = "platform:environment"
MIN_SOAK_KEY_PATH = f"{RELEASE_KEY}.promotionGate.minSoakHours"


class PromotionRefused(Exception):
    """Promotion cannot go ahead; nothing was written. Each problem is a complete line."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ReleaseEntry:
    """One component of a release block, as written (image already checked to be pinned)."""

    image: str
    version: Optional[str]


@dataclass(frozen=True)
class StackFile:
    """A `Pulumi.<stack>.yaml` as read: its exact text and the release block's contents."""

    stack: str
    path: Path
    data: bytes
    text: str
    images: dict[str, ReleaseEntry]
    registry_allowlist: tuple[str, ...]
    min_soak_hours: Optional[float]
    environment: Optional[str]
    ledger: Optional[str] = None  # release.promotionGate.ledger: the file that records what staging ran
    verification: Optional[str] = None  # release.promotionGate.verification: `stackctl verify`'s records

    def where(self) -> str:
        return f"stack {self.stack} ({self.path.name})"


@dataclass(frozen=True)
class ComponentChange:
    """What promotion changes for one component in the target."""

    component: str
    old_image: str
    new_image: str
    old_version: Optional[str]
    new_version: Optional[str]



def round_trip_yaml() -> YAML:
    round_trip = YAML(typ="rt")
    round_trip.preserve_quotes = True
    round_trip.width = 4096  # never fold a long digest line
    # The shape of this repository's stack files; another shape is still
    # handled, by the text edit, because the round trip then fails verification.
    round_trip.indent(mapping=2, sequence=4, offset=2)
    return round_trip


def load_round_trip(text: str) -> Any:
    return round_trip_yaml().load(text)


def stack_file_path(root: Path, stack: str) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def read_stack_file(root: Path, stack: str) -> StackFile:
    """Read and check a stack file's release block. Raises PromotionRefused listing every problem."""
    path = stack_file_path(root, stack)
    where = f"stack {stack} ({path.name})"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        from stack_checks.load import stack_names

        raise PromotionRefused([f"stack {stack}: {path} does not exist (stacks in --root {root}: "
                                f"{', '.join(stack_names(root)) or 'none'}; check the stack name, or --root)"]
                               ) from None
    except OSError as error:
        raise PromotionRefused([f"stack {stack}: {path} cannot be read ({error.strerror}); give a readable "
                                "stack file"]) from None
    try:
        text = data.decode("utf-8")
        document = load_round_trip(text)
    except UnicodeDecodeError as error:
        raise PromotionRefused([f"{where}: not UTF-8 ({error})"]) from None
    except YAMLError as error:
        from config_models.yaml_errors import describe_yaml_error

        raise PromotionRefused([f"{where}: not valid YAML: {describe_yaml_error(error)}"]) from None

    config = document.get("config") if isinstance(document, dict) else None
    release = config.get(RELEASE_KEY) if isinstance(config, dict) else None
    if not isinstance(release, dict):
        raise PromotionRefused([f"{where}: config.{RELEASE_KEY} is missing or not a mapping "
                                "(add the release block: images: {component: {image: ..., version: ...}})"])
    images_node = release.get("images")
    if not isinstance(images_node, dict):
        raise PromotionRefused([f"{where}: {RELEASE_KEY}.images is missing or not a mapping "
                                "(map each component to {image: registry/repo@sha256:<64 hex>, version: ...})"])

    problems: list[str] = []
    images: dict[str, ReleaseEntry] = {}
    for component, entry in images_node.items():
        entry_path = f"{RELEASE_KEY}.images.{component}"
        if not isinstance(component, str):
            problems.append(f"{where}: {entry_path}: component name {component!r} must be a string")
            continue
        if not isinstance(entry, dict) or "image" not in entry:
            problems.append(f"{where}: {entry_path}: {entry!r} must be a mapping with an 'image' key")
            continue
        try:
            image = parse_pinned_image(entry["image"], f"{entry_path}.image").reference
        except ReleaseError as error:
            problems.append(f"{where}: {error}")
            continue
        version = entry.get("version")
        if "version" in entry and (not isinstance(version, str) or not version):
            problems.append(f"{where}: {entry_path}.version: {version!r} must be a non-empty string "
                            f"(quote it: version: \"{version}\")")
            continue
        # str(): ruamel hands back str subclasses that remember their quoting.
        images[component] = ReleaseEntry(image=image, version=str(version) if version is not None else None)

    allowlist = release.get("registryAllowlist", [])
    if not isinstance(allowlist, list) or not all(isinstance(item, str) for item in allowlist):
        problems.append(f"{where}: {RELEASE_KEY}.registryAllowlist: {allowlist!r} must be a list of registry hosts")
        allowlist = []

    min_soak_hours = None
    gate = release.get("promotionGate")
    if isinstance(gate, dict) and "minSoakHours" in gate:
        min_soak_hours = gate["minSoakHours"]
        if isinstance(min_soak_hours, bool) or not isinstance(min_soak_hours, (int, float)) or min_soak_hours < 0:
            problems.append(f"{where}: {MIN_SOAK_KEY_PATH}: {min_soak_hours!r} must be a number of hours >= 0")
            min_soak_hours = None

    ledger = gate.get("ledger") if isinstance(gate, dict) else None
    if ledger is not None and (not isinstance(ledger, str) or not ledger or Path(ledger).is_absolute()
                               or ".." in Path(ledger).parts):
        problems.append(f"{where}: {RELEASE_KEY}.promotionGate.ledger: {ledger!r} must be a path relative to "
                        "the project root, such as releases/staging-verified.yaml")
        ledger = None
    verification = gate.get("verification") if isinstance(gate, dict) else None
    if verification is not None and (not isinstance(verification, str) or not verification
                                     or Path(verification).is_absolute() or ".." in Path(verification).parts):
        problems.append(f"{where}: {RELEASE_KEY}.promotionGate.verification: {verification!r} must be a path "
                        "relative to the project root, such as releases/staging-verifications.yaml")
        verification = None
    if problems:
        raise PromotionRefused(problems)
    environment = config.get(ENVIRONMENT_KEY)
    return StackFile(
        stack=stack, path=path, data=data, text=text, images=images,
        registry_allowlist=tuple(allowlist),
        min_soak_hours=float(min_soak_hours) if min_soak_hours is not None else None,
        environment=environment if isinstance(environment, str) else None,
        ledger=str(ledger) if ledger is not None else None,
        verification=str(verification) if verification is not None else None,
    )

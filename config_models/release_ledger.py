"""The release ledger: every image staging has run successfully, the evidence the provenance gate reads.

Prod may run a digest only if staging ran it, at any time within a retention
window, not only if staging runs it now (the Kargo rule: "this freight was
verified upstream"). That knowledge lives in a file in the repository,
`releases/staging-verified.yaml`, and nowhere else, because:

* it is read the same way under the mock runtime (offline CI on a pull
  request) and under the real engine (`pulumi preview --stack prod`): both
  run this program on the checked-out tree; no StackReference, whose answer
  is only "what staging runs at this moment", so it froze prod for every soak
  and blocked rollbacks;
* it is reviewed like code: an entry appears in the same pull request as the
  prod digest it justifies, and the file is owner-gated (CODEOWNERS);
* it is written only by `stackctl promote` from the CLI's own evidence:
  staging's `pulumi stack output --json` (the digest is what staging's last
  update deployed) and `pulumi stack history --json` (that update succeeded,
  and when it ended). The entry records the update number and end time.

Retention is a count, not an age: the newest `retainedReleases` entries of
each component (10 by default) admit their digests. An age would make an
unchanged repository fail CI on the day an entry expires. An older digest
needs `release.promotionGate.overrides.<component>` with the exact image and
a reason, an edit that shows in the pull request's diff.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import Field
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from config_models.base import ConfigError, ConfigModel, validate_config
from config_models.release import PinnedImageReference
from config_models.yaml_errors import describe_yaml_error

LEDGER_HEADER = """\
# Images staging has run successfully: the evidence prod's provenance gate reads
# (release.promotionGate.ledger). Written by `stackctl promote` from staging's
# `pulumi stack output --json` and `pulumi stack history --json`; newest last.
# Do not edit by hand: an entry here lets prod run that image.
"""


class LedgerEntry(ConfigModel):
    """One image staging ran, and the evidence for it."""

    component: str = Field(description="Component name, as in release.images. Required.")
    image: PinnedImageReference = Field(description="The image staging ran, pinned by digest. Required.")
    version: Optional[str] = Field(None, description="Its version label. Default: none.")
    stack: str = Field(description="The stack that ran it (staging). Required.")
    update: Optional[int] = Field(None, description="The successful `pulumi up` of that stack (history version).")
    deployed_at: str = Field(description="When that update ended, UTC ISO 8601. Required.")
    evidence: str = Field(description="Where the entry comes from (stackctl promote and its input files). Required.")


class ReleaseLedger(ConfigModel):
    releases: list[LedgerEntry] = Field(default_factory=list, description="Oldest first. Default: none.")


def read_ledger(path: Path, key_path: str = "release.promotionGate.ledger") -> ReleaseLedger:
    """Read and validate the ledger; a missing or malformed file is a ConfigError naming it."""
    try:
        document = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        # A plain promote would record only the components it changes, and every other
        # one would then fail the gate: seeding records all that prod and staging pin alike.
        raise ConfigError([f"{key_path}: {str(path)!r} does not exist (start it with `stackctl promote --from "
                           "staging --to prod --seed-ledger --verify-against <staging outputs.json> --history "
                           "<staging history.json>`, which records every image prod pins that staging runs)"]
                          ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{key_path}: {str(path)!r} cannot be read ({error})"]) from None
    except YAMLError as error:

        raise ConfigError([f"{key_path}: {str(path)!r} is not valid YAML: {describe_yaml_error(error)}"]) from None
    return validate_config(ReleaseLedger, document if document is not None else {}, prefix=(path.name,))


def retained_images(ledger: ReleaseLedger, component: str, retained: int) -> list[str]:
    """The images of the newest `retained` entries of `component`, newest first."""
    images: list[str] = []
    for entry in reversed(ledger.releases):
        if entry.component == component and entry.image not in images:
            images.append(entry.image)
        if len(images) == retained:
            break
    return images

"""The release block: the single authority for which image each component runs.

Every image in the stack is `registry/repo@sha256:<64 hex>`, read from
`release.images`; a service cannot name an image of its own. Promotion
(`stackctl promote`) copies these values from staging to prod, never
rebuilding, so prod runs the exact bytes staging ran, and a rollback is a
`git revert` of the promotion commit.
"""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import AfterValidator, Field

from config_models.base import ConfigModel
from config_models.release_digest import PINNED_FORM, PINNED_IMAGE_PATTERN, pinned_image_problem

# The stack output naming what a stack deploys (component -> image); promotion's evidence.
RELEASE_DIGESTS_OUTPUT = "releaseDigests"


def check_pinned_image(value: str) -> str:
    problem = pinned_image_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# A config string that must be `registry/repo@sha256:<64 hex>`; one validator for every model that names an image.
PinnedImageReference = Annotated[str, AfterValidator(check_pinned_image)]


def image_registry(image: str) -> str:
    return PINNED_IMAGE_PATTERN.match(image)["registry"]


class ReleaseImage(ConfigModel):
    image: PinnedImageReference = Field(description=f"The image, pinned by digest: {PINNED_FORM}. Required.")
    version: Optional[str] = Field(None, description="Human-readable version label. Default: none.")


class GateOverride(ConfigModel):
    """An image prod may run without staging evidence: an emergency, visible in the diff."""

    image: PinnedImageReference = Field(description=f"Exactly the image admitted, {PINNED_FORM}. Required.")
    reason: str = Field(min_length=10, description="Why, in words (an incident, a ticket). Required.")


class PromotionGate(ConfigModel):
    ledger: Optional[str] = Field(
        None, description="Release ledger (config_models/release_ledger.py), relative to the project root: prod may "
                          "only run images staging ran. Default: no gate (required in prod).")
    retained_releases: int = Field(10, ge=1, description="Newest ledger entries per component that admit an image. "
                                                         "Default: 10.")
    overrides: dict[str, GateOverride] = Field(
        default_factory=dict, description="Component -> image admitted without staging evidence. Default: none.")
    min_soak_hours: float = Field(0, ge=0, description="Hours staging must have run a release before promotion. Default: 0.")
    verification: Optional[str] = Field(
        None, description="Verification records of the source stack (`stackctl verify`), relative to the project "
                          "root, e.g. releases/staging-verifications.yaml: `stackctl promote` takes an image only "
                          "with a green verification newer than the source's newest update. Default: no gate.")


class ReleaseSpec(ConfigModel):
    images: dict[str, ReleaseImage] = Field(description="Component name -> pinned image. Required.")
    registry_allowlist: list[str] = Field(
        default_factory=list, description="Registries images may come from. Default: any (required in prod)."
    )
    promotion_gate: PromotionGate = Field(default_factory=PromotionGate, description="Default: no gate.")

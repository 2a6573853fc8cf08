"""Release coherence: every component a service runs has a pinned image, no pin is unused, every registry is allowed."""
from __future__ import annotations

from config_models.release import ReleaseSpec, image_registry
from config_models.release_digest import PINNED_FORM


def check_release_coherence(release: ReleaseSpec, used_components: dict[str, str]) -> list[str]:
    """Every used component has an entry, no entry is unused, every registry is allowed.

    `used_components` maps component name -> the config key path that uses it.
    """
    problems = []
    for component, used_at in sorted(used_components.items()):
        if component not in release.images:
            problems.append(
                f"{used_at}: component {component!r} has no image in release.images "
                f"(add release.images.{component}.image: {PINNED_FORM})"
            )
    for component in sorted(set(release.images) - set(used_components)):
        problems.append(
            f"release.images.{component}: component {component!r} is not deployed by this stack "
            "(remove the entry; every entry must be a deployed component)"
        )
    if release.registry_allowlist:
        for component, entry in sorted(release.images.items()):
            registry = image_registry(entry.image)
            if registry not in release.registry_allowlist:
                problems.append(
                    f"release.images.{component}.image: registry {registry!r} is not in "
                    f"release.registryAllowlist {release.registry_allowlist!r}"
                )
    return problems

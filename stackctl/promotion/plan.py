"""The promotion plan: which components' release entries change in the target, and why a plan is refused.

`plan_promotion` compares the two stack files' release blocks and returns one
`ComponentChange` per component whose image or version differs, after
checking that both stacks pin the components concerned and that the target's
registry allowlist names each new image's registry. It reads nothing from
disk and knows nothing of how the change is written. It imports only
`stack_file`; `release_promotion` imports it.
"""
from __future__ import annotations

from typing import Sequence

from config_models.release_digest import ReleaseError, check_registry_allowed, parse_pinned_image
from stackctl.promotion.stack_file import RELEASE_KEY, ComponentChange, PromotionRefused, StackFile


def plan_promotion(source: StackFile, target: StackFile, only: Sequence[str] = ()) -> list[ComponentChange]:
    """The changes that make the target pin what the source pins. Raises PromotionRefused."""
    problems: list[str] = []
    in_source, in_target = set(source.images), set(target.images)
    if only:
        selected = sorted(set(only))
        for component in selected:
            if component not in in_source | in_target:
                problems.append(
                    f"--only {component!r}: no such component in {source.stack} or {target.stack} "
                    f"(components: {', '.join(sorted(in_source | in_target))})"
                )
            elif component not in in_source or component not in in_target:
                has, lacks = (source, target) if component in in_source else (target, source)
                problems.append(
                    f"--only {component!r}: component {component!r} is in {has.where()} but not in "
                    f"{lacks.where()}; promotion only updates components both stacks pin "
                    f"(add it to {lacks.path.name} by hand first)"
                )
    else:
        selected = sorted(in_source & in_target)
        for component in sorted(in_source - in_target):
            problems.append(
                f"component {component!r} is in {source.where()} but not in {target.where()} "
                f"(add it to {target.path.name} by hand, or promote the others with --only)"
            )
        for component in sorted(in_target - in_source):
            problems.append(
                f"component {component!r} is in {target.where()} but not in {source.where()} "
                f"(remove it from {target.path.name} by hand, or promote the others with --only)"
            )
    if problems:
        raise PromotionRefused(problems)

    changes = []
    for component in selected:
        new, old = source.images[component], target.images[component]
        try:
            check_registry_allowed(
                parse_pinned_image(new.image, f"{RELEASE_KEY}.images.{component}.image"),
                target.registry_allowlist,
                f"{RELEASE_KEY}.images.{component}.image",
                allowlist_key_path=f"{RELEASE_KEY}.registryAllowlist",
            )
        except ReleaseError as error:
            problems.append(f"{target.where()}: cannot take component {component!r} from {source.stack}: {error}")
            continue
        if (new.image, new.version) != (old.image, old.version):
            changes.append(ComponentChange(component, old.image, new.image, old.version, new.version))
    if problems:
        raise PromotionRefused(problems)
    return changes

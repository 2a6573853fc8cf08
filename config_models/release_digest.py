"""Digest-pinned image references: the one format a release may name an image in.

A release pins every component as `registry/repository@sha256:<64 hex>`, so the
bytes a stack runs are fixed by the text of its stack file; promotion copies
these strings from staging to prod without rebuilding, and a rollback is a
`git revert`. This module parses and checks that text and nothing else: it
does not contact a registry, so it cannot tell whether a digest exists, and it
leaves the shape of the release block to the program's config models.

Decisions, each stricter than what a container runtime accepts:

* A tag beside the digest (`repo:1.0@sha256:...`) is rejected. The runtime
  ignores such a tag, but a human reads it as the version, so it can only
  mislead; the release's `version` field is the place for a label.
* The registry host is required and must look like one (contain a `.` or a
  `:port`, or be `localhost`), because `team/app@sha256:...` silently means
  Docker Hub, which an allowlist of registries would then be reasoning about
  without anyone having written it down.
* Hosts and repository paths are lowercase and the digest is lowercase hex,
  so two references to the same bytes are always the same string and can be
  compared with `==` (the promotion gates rely on this).
* Only sha256 digests: that is what registries return and what OCI requires.
  IPv6 literal hosts (`[::1]:5000`) are not accepted.
"""
from __future__ import annotations

import re
from typing import Any, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field

PINNED_FORM = "registry/repo@sha256:<64 hex>"
_HOST_COMPONENT = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
# A first component is a registry only if it has a dot or a port or is
# localhost (the rule container runtimes use); otherwise it is a Docker Hub
# namespace, which must be written out in full.
_REGISTRY = (
    rf"(?:localhost(?::[0-9]+)?"
    rf"|{_HOST_COMPONENT}(?:\.{_HOST_COMPONENT})+(?::[0-9]+)?"
    rf"|{_HOST_COMPONENT}:[0-9]+)"
)
# The distribution reference grammar for one path component.
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
PINNED_IMAGE_PATTERN = re.compile(
    rf"^(?P<registry>{_REGISTRY})/(?P<repository>{_REPOSITORY})@(?P<digest>sha256:[0-9a-f]{{64}})$"
)
_DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")
_REGISTRY_PATTERN = re.compile(rf"^{_REGISTRY}$")
_REPOSITORY_PATTERN = re.compile(rf"^{_REPOSITORY}$")
# distribution/reference refuses longer names; so do registries.
_MAX_NAME_LENGTH = 255


class ReleaseError(ValueError):
    """A release value that cannot be used. The message is complete: key path, value, fix.

    A ValueError so that pydantic validators may raise it unchanged.
    """

    def __init__(self, key_path: str, value: Any, problem: str):
        self.key_path = key_path
        self.value = value
        self.problem = problem
        super().__init__(f"{key_path}: {problem}")


class PinnedImage(BaseModel):
    """One image reference, pinned by digest and already checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    registry: str = Field(description="Registry host, with `:port` if one was written. Required.")
    repository: str = Field(description="Repository path inside the registry, e.g. `matrix/sol`. Required.")
    digest: str = Field(description="`sha256:<64 lowercase hex>`. Required.")

    @property
    def name(self) -> str:
        """`registry/repository`, the reference without its digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def reference(self) -> str:
        """The full pinned reference, exactly as written in the stack file."""
        return f"{self.name}@{self.digest}"

    def __str__(self) -> str:
        return self.reference


def pinned_image_problem(text: Any) -> Optional[str]:
    """Why `text` is not a pinned image reference, quoting it and saying the fix; None if it is one.

    For callers that add their own key path (pydantic validators);
    `parse_pinned_image` is the usual entry point.
    """
    if not isinstance(text, str):
        return f"{text!r} must be a string naming an image pinned by digest ({PINNED_FORM})"
    if PINNED_IMAGE_PATTERN.match(text) and len(text.partition("@")[0]) <= _MAX_NAME_LENGTH:
        return None
    name, at, digest = text.partition("@")
    if not at:
        return f"{text!r} must be pinned by digest ({PINNED_FORM})"
    if not _DIGEST_PATTERN.match(digest):
        return (
            f"{text!r} has a malformed digest {digest!r} "
            "(must be 'sha256:' followed by 64 lowercase hex characters)"
        )
    registry, slash, path = name.partition("/")
    last_component = name.rpartition("/")[2]
    if ":" in last_component:
        tag = last_component[last_component.index(":"):]
        return (
            f"{text!r} names both a tag and a digest; remove the tag {tag!r} so that the digest "
            f"is the only authority ({PINNED_FORM}; put a label in 'version')"
        )
    if not slash or not ("." in registry or ":" in registry or registry == "localhost"):
        return f"{text!r} does not name its registry host; write the full reference ({PINNED_FORM})"
    if not _REGISTRY_PATTERN.match(registry):
        return f"{text!r} has an invalid registry host {registry!r} (lowercase host name, optional :port)"
    if not _REPOSITORY_PATTERN.match(path):
        return (
            f"{text!r} has an invalid repository path {path!r} "
            "(lowercase letters, digits and . _ - separators, components joined by /)"
        )
    return f"{text!r} is too long: the name before '@' exceeds {_MAX_NAME_LENGTH} characters"


def parse_pinned_image(text: Any, key_path: str) -> PinnedImage:
    """Parse `registry/repo@sha256:<64 hex>`; raise ReleaseError naming `key_path` otherwise."""
    problem = pinned_image_problem(text)
    if problem is not None:
        raise ReleaseError(key_path, text, problem)
    match = PINNED_IMAGE_PATTERN.match(text)
    return PinnedImage(registry=match["registry"], repository=match["repository"], digest=match["digest"])


def registry_allowed(image: PinnedImage, allowlist: Sequence[str]) -> bool:
    """True if the allowlist is empty (no restriction) or names the image's registry exactly.

    An entry is a registry host with its port if any (`registry.example.com`,
    `localhost:5000`); matching is exact, so `example.com` does not admit
    `evil.example.com` and a port is part of the name.
    """
    return not allowlist or image.registry in allowlist


def check_registry_allowed(image: PinnedImage, allowlist: Sequence[str], key_path: str,
                           allowlist_key_path: str = "release.registryAllowlist") -> None:
    """Raise ReleaseError naming both key paths if `image` comes from a registry not in `allowlist`."""
    if not registry_allowed(image, allowlist):
        raise ReleaseError(
            key_path,
            image.reference,
            f"registry {image.registry!r} of {image.reference!r} is not in {allowlist_key_path} "
            f"{list(allowlist)!r} (use an image from an allowed registry, or add the registry "
            "to the allowlist in its own reviewed change)",
        )

"""Digest-pinned image references: what parses, and the exact refusal for each way of getting it wrong."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from config_models.release_digest import (
    PINNED_FORM, PinnedImage, ReleaseError, check_registry_allowed, parse_pinned_image, pinned_image_problem, registry_allowed,
)

HEX = "0123456789abcdef" * 4
KEY = "release.images.sol.image"


def test_parses_registry_repository_and_digest():
    image = parse_pinned_image(f"registry.example.com/matrix/sol@sha256:{HEX}", KEY)
    assert image == PinnedImage(registry="registry.example.com", repository="matrix/sol", digest=f"sha256:{HEX}")
    assert image.name == "registry.example.com/matrix/sol"
    assert image.reference == str(image) == f"registry.example.com/matrix/sol@sha256:{HEX}"


@pytest.mark.parametrize("text", [
    f"registry.example.com:5000/sol@sha256:{HEX}",
    f"localhost:5000/a/b/c@sha256:{HEX}",
    f"localhost/sol@sha256:{HEX}",
    f"reg:443/sol@sha256:{HEX}",
    f"acr.azurecr.io/team-a/sub.group/app__x--y@sha256:{HEX}",
])
def test_accepts_ports_and_nested_repositories(text):
    assert parse_pinned_image(text, KEY).reference == text


def test_pinned_image_is_frozen():
    image = parse_pinned_image(f"r.example.com/sol@sha256:{HEX}", KEY)
    with pytest.raises(Exception):
        image.registry = "other.example.com"


@pytest.mark.parametrize("value, message", [
    ("sol:latest",
     "release.images.sol.image: 'sol:latest' must be pinned by digest (registry/repo@sha256:<64 hex>)"),
    ("registry.example.com/matrix/sol:1.4.0",
     "release.images.sol.image: 'registry.example.com/matrix/sol:1.4.0' must be pinned by digest "
     "(registry/repo@sha256:<64 hex>)"),
    (f"registry.example.com/sol:1.4.0@sha256:{HEX}",
     f"release.images.sol.image: 'registry.example.com/sol:1.4.0@sha256:{HEX}' names both a tag and a digest; "
     "remove the tag ':1.4.0' so that the digest is the only authority "
     "(registry/repo@sha256:<64 hex>; put a label in 'version')"),
    (f"registry.example.com/sol@sha256:{HEX.upper()}",
     f"release.images.sol.image: 'registry.example.com/sol@sha256:{HEX.upper()}' has a malformed digest "
     f"'sha256:{HEX.upper()}' (must be 'sha256:' followed by 64 lowercase hex characters)"),
    (f"registry.example.com/sol@sha256:{HEX[:63]}",
     f"release.images.sol.image: 'registry.example.com/sol@sha256:{HEX[:63]}' has a malformed digest "
     f"'sha256:{HEX[:63]}' (must be 'sha256:' followed by 64 lowercase hex characters)"),
    (f"registry.example.com/sol@sha512:{HEX}",
     f"release.images.sol.image: 'registry.example.com/sol@sha512:{HEX}' has a malformed digest "
     f"'sha512:{HEX}' (must be 'sha256:' followed by 64 lowercase hex characters)"),
    (f"matrix/sol@sha256:{HEX}",
     f"release.images.sol.image: 'matrix/sol@sha256:{HEX}' does not name its registry host; "
     "write the full reference (registry/repo@sha256:<64 hex>)"),
    (f"Registry.example.com/sol@sha256:{HEX}",
     f"release.images.sol.image: 'Registry.example.com/sol@sha256:{HEX}' has an invalid registry host "
     "'Registry.example.com' (lowercase host name, optional :port)"),
    (f"registry.example.com/Matrix/sol@sha256:{HEX}",
     f"release.images.sol.image: 'registry.example.com/Matrix/sol@sha256:{HEX}' has an invalid repository path "
     "'Matrix/sol' (lowercase letters, digits and . _ - separators, components joined by /)"),
    (None,
     "release.images.sol.image: None must be a string naming an image pinned by digest "
     "(registry/repo@sha256:<64 hex>)"),
])
def test_exact_refusals(value, message):
    with pytest.raises(ReleaseError) as caught:
        parse_pinned_image(value, KEY)
    assert str(caught.value) == message
    assert caught.value.key_path == KEY and caught.value.value == value
    assert isinstance(caught.value, ValueError)  # so pydantic validators may raise it as is


def test_problem_without_key_path_for_validators():
    assert pinned_image_problem(f"r.example.com/sol@sha256:{HEX}") is None
    assert pinned_image_problem("sol") == f"'sol' must be pinned by digest ({PINNED_FORM})"


def test_name_longer_than_255_is_refused():
    text = f"r.example.com/{'a' * 250}@sha256:{HEX}"
    with pytest.raises(ReleaseError, match="is too long"):
        parse_pinned_image(text, KEY)


# --- property tests ------------------------------------------------------------

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
registries = st.one_of(
    st.builds(lambda parts, port: ".".join(parts) + port,
              st.lists(label, min_size=2, max_size=3), st.sampled_from(["", ":5000", ":443"])),
    st.builds(lambda port: "localhost" + port, st.sampled_from(["", ":5000"])),
)
path_component = st.from_regex(r"[a-z0-9]{1,5}((\.|_|__|-{1,2})[a-z0-9]{1,5}){0,2}", fullmatch=True)
repositories = st.lists(path_component, min_size=1, max_size=3).map("/".join)
digests = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@given(registries, repositories, digests)
def test_every_well_formed_reference_round_trips(registry, repository, digest):
    text = f"{registry}/{repository}@sha256:{digest}"
    image = parse_pinned_image(text, KEY)
    assert (image.registry, image.repository, image.digest) == (registry, repository, f"sha256:{digest}")
    assert image.reference == text


@given(registries, repositories, digests, st.sampled_from(["tag", "upper", "short", "long", "no-digest", "no-registry"]),
       st.from_regex(r"[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,10}", fullmatch=True))
def test_every_mangled_reference_is_refused_with_its_key_and_value(registry, repository, digest, mangle, tag):
    name = f"{registry}/{repository}"
    text = {
        "tag": f"{name}:{tag}@sha256:{digest}",
        "upper": f"{name}@sha256:{digest[:-1]}G",
        "short": f"{name}@sha256:{digest[:-1]}",
        "long": f"{name}@sha256:{digest}0",
        "no-digest": f"{name}:{tag}",
        "no-registry": f"{repository.split('/')[0]}@sha256:{digest}",
    }[mangle]
    with pytest.raises(ReleaseError) as caught:
        parse_pinned_image(text, KEY)
    assert str(caught.value).startswith(f"{KEY}: {text!r} ")


# --- registry allowlist --------------------------------------------------------

def test_registry_allowlist_matches_the_exact_host_and_port():
    image = parse_pinned_image(f"registry.example.com/sol@sha256:{HEX}", KEY)
    assert registry_allowed(image, [])  # no allowlist: no restriction
    assert registry_allowed(image, ["other.example.com", "registry.example.com"])
    assert not registry_allowed(image, ["example.com"])
    assert not registry_allowed(image, ["registry.example.com:5000"])
    check_registry_allowed(image, ["registry.example.com"], KEY)


def test_registry_not_allowed_names_both_keys_the_value_and_the_fix():
    image = parse_pinned_image(f"evil.example.net/sol@sha256:{HEX}", KEY)
    with pytest.raises(ReleaseError) as caught:
        check_registry_allowed(image, ["registry.example.com"], KEY)
    assert str(caught.value) == (
        f"release.images.sol.image: registry 'evil.example.net' of 'evil.example.net/sol@sha256:{HEX}' "
        "is not in release.registryAllowlist ['registry.example.com'] (use an image from an allowed registry, "
        "or add the registry to the allowlist in its own reviewed change)"
    )

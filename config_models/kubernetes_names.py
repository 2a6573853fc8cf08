"""Kubernetes object-name rules, checked while the config is validated.

A name the API server would reject is caught before the first resource is
registered, with the rule quoted, instead of failing halfway through `up`.
"""
from __future__ import annotations

import re

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def check_dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(f"{value!r} must be a DNS label (lowercase letters, digits and '-', at most 63 characters)")
    return value


def check_dns_subdomain(value: str) -> str:
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(
            f"{value!r} must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)"
        )
    return value


def check_env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f"{value!r} must be an environment variable name (letters, digits, '_', not starting with a digit)")
    return value


def check_secret_key(value: str) -> str:
    if len(value) > 253 or not _SECRET_KEY.match(value):
        raise ValueError(f"{value!r} must be a Secret data key (letters, digits, '-', '_' and '.')")
    return value

"""The secure defaults of every pod this library builds, in one place.

These are the Pod Security "restricted" profile plus what it leaves out
(read-only root filesystem, no service-account token, no service links).
A workload can turn exactly one of them off, by a named field of its config
(`allowWritableRootFilesystem`), and prod refuses even that; there is no
raw securityContext pass-through, so a default cannot be lost by accident.
"""
from __future__ import annotations

from typing import Any

from config_models.workloads.pod_identity import PodIdentity


def pod_security_context(identity: PodIdentity) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": identity.run_as_user,
        "runAsGroup": identity.run_as_group,
        # The kubelet chowns the volume to this group once (OnRootMismatch),
        # which replaces the seed's `chmod -R 777` init container.
        "fsGroup": identity.run_as_group,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(identity: PodIdentity, writable_root_filesystem: bool = False) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": identity.run_as_user,
        "runAsGroup": identity.run_as_group,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": not writable_root_filesystem,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_spec_defaults() -> dict[str, Any]:
    """Pod-level fields that are the same for every hardened pod."""
    return {
        # No workload here talks to the Kubernetes API; a mounted token would
        # only be something to steal.
        "automountServiceAccountToken": False,
        # Service links inject one env var per Service in the namespace, which
        # can shadow the application's own variables.
        "enableServiceLinks": False,
    }

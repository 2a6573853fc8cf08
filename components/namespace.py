"""A namespace that enforces the Pod Security "restricted" profile.

`enforce`, `audit` and `warn` are all set to restricted, so the admission
controller rejects any pod (ours or third-party) that drops below the
hardening this library applies. The namespace is protected: deleting it would
delete every claim inside, which the claims' own protection cannot prevent.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from config_models.namespace import POD_SECURITY_LEVEL, NamespaceSpec


def build_namespace_labels(name: str, environment: str, spec: NamespaceSpec) -> dict[str, str]:
    labels = dict(spec.labels)
    labels.update({
        "kubernetes.io/metadata.name": name,
        "platform/environment": environment,
        "pod-security.kubernetes.io/enforce": POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/warn": POD_SECURITY_LEVEL,
    })
    return dict(sorted(labels.items()))


class Namespace(pulumi.ComponentResource):
    """A protected namespace with Pod Security admission at `restricted`."""

    namespace_name: str
    """metadata.name of the namespace."""

    def __init__(self, name: str, spec: NamespaceSpec, environment: str,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:kubernetes:Namespace", name, None, opts)
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": name, "labels": build_namespace_labels(name, environment, spec)},
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        self.namespace_name = name
        self.register_outputs({"namespace_name": self.namespace_name})

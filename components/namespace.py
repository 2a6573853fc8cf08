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
from pydantic import Field, field_validator

from .config_model import ConfigModel

POD_SECURITY_LEVEL = "restricted"


class UnmanagedPodsSpec(ConfigModel):
    """Pods in an owned namespace that this stack does not deploy, exempt from its default deny."""

    pod_labels: dict[str, str] = Field(description="Labels selecting them, e.g. app.kubernetes.io/name: tuwunel. "
                                                   "Required.")
    reason: str = Field(description="Why they stay open (who owns them, until when). Required.")

    @field_validator("pod_labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("{} would select every pod of the namespace; name the unmanaged pods' labels")
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reason must be given in words")
        return value


class NamespaceSpec(ConfigModel):
    labels: dict[str, str] = Field(default_factory=dict, description="Extra labels. Default: none.")
    unmanaged_pods: list[UnmanagedPodsSpec] = Field(
        default_factory=list, description="Pods deployed by someone else into this namespace: they keep all their "
                                          "traffic (the namespace's default deny would cut them off) until they "
                                          "have policies of their own. Default: none.")


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

"""The config model of `namespaces.<name>`: the Pod Security level and the unmanaged pods it tolerates."""
from __future__ import annotations

from pydantic import Field, field_validator

from config_models.base import ConfigModel

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

"""The config model of the UID/GID a workload's pods run as (`podIdentity`), non-root by default."""
from __future__ import annotations

from pydantic import Field, field_validator

from config_models.base import ConfigModel

# distroless `nonroot` uid/gid: the seed's image runs as this user.
DEFAULT_USER_ID = 65532
DEFAULT_GROUP_ID = 65532


class PodIdentity(ConfigModel):
    """The non-root user every container of the pod runs as."""

    run_as_user: int = Field(DEFAULT_USER_ID, description="uid of every container. Default: 65532 (distroless nonroot).")
    run_as_group: int = Field(DEFAULT_GROUP_ID, description="gid of every container, also the fsGroup owning the data volume. Default: 65532.")

    @field_validator("run_as_user", "run_as_group")
    @classmethod
    def _not_root(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(f"{value!r} must be a non-root id (1 or more; the default is {DEFAULT_USER_ID})")
        return value

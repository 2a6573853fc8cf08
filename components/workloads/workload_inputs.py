"""What the stack hands every workload kind besides its spec (environment, images, files, annotations)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Optional


def content_checksum(data: Any) -> str:
    """sha256 of canonical JSON: the same content always gives the same annotation."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class WorkloadInputs:
    """What the stack hands every kind's component besides its spec."""

    environment: str
    images: dict[str, str]
    """release.images entry -> pinned image, for every entry the workload uses (`release_components`)."""
    file_contents: dict[str, str]
    pod_annotations: dict[str, str] = field(default_factory=dict)
    """Added to the pod template (checksums of secret mappings)."""
    workload_annotations: dict[str, str] = field(default_factory=dict)
    """Added to the workload object (Reloader's watch list)."""
    backup_account: Optional[str] = None
    """Storage account of the Litestream replica, for a workload with a backup."""
    backup_client_id: Any = None
    """Client id (an Output under the engine) of the backup's workload identity."""

"""Every claim names a declared StorageClass; in prod a single writer's class retains its disk."""
from __future__ import annotations

from config_models.stack import StackConfig


def check_storage(config: StackConfig) -> list[str]:
    """Every claim's class is declared; in prod every single writer's class retains its disk."""
    problems = []
    classes = config.storage.classes
    for name, service in sorted(config.services.items()):
        for volume in service.claims():
            key = f"services.{name}.data.storageClass"
            if volume.storage_class is None:
                if config.environment == "prod":
                    problems.append(f"{key}: unset in prod, so the claim gets the cluster's default class, whose "
                                    "reclaimPolicy is Delete on AKS (managed-csi); name a class from storage.classes "
                                    "that retains its disks")
                continue
            spec = classes.get(volume.storage_class)
            if spec is None:
                problems.append(f"{key}: {volume.storage_class!r} is not declared under storage.classes (create it, "
                                "or declare it as existing with its reclaimPolicy)")
            elif config.environment == "prod" and not spec.retains:
                problems.append(f"{key}: {volume.storage_class!r} has reclaimPolicy Delete, which deletes the disk "
                                "with the claim; prod's single writers need a class that retains (storage.classes."
                                "<name>.create)")
    return problems

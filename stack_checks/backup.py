"""Backups: prod's single writers are backed up, and a backup needs the stack's storage account."""
from __future__ import annotations


def check_backup(config) -> list[str]:
    """Prod's single writers are backed up; a backup needs the stack's storage and an OIDC issuer."""
    problems = []
    storage = config.azure.backup_storage if config.azure is not None else None
    for name, service in sorted(config.services.items()):
        backup = service.backup()
        if service.claims() and backup is None and config.environment == "prod":
            problems.append(f"services.{name}.data.backup: required in prod for a single writer (its only copy of "
                            "its data is on one disk; back it up continuously with Litestream: "
                            "backup: {databases: [<file>.db]})")
        if backup is not None and storage is None:
            problems.append(f"services.{name}.data.backup: the stack has no azure.backupStorage (add it with the "
                            "storage account name)")
    return problems

"""Vault: every secret path belongs to one service, and the CA file is a public certificate."""
from __future__ import annotations

from config_models.workloads.workload import WorkloadSpec


def check_vault_paths_owned(services: dict[str, WorkloadSpec]) -> list[str]:
    problems = []
    for name, service in sorted(services.items()):
        for secret, source in sorted(service.secrets.items()):
            if source.vault is None:
                continue
            owner = source.vault.path.split("/")[0]
            if owner != name:
                owned_by = f" (it belongs to service {owner!r})" if owner in services else ""
                problems.append(
                    f"services.{name}.secrets.{secret}.vault.path: {source.vault.path!r} is not a path of "
                    f"service {name!r}{owned_by}; a workload may only read paths under {name!r} (least privilege)"
                )
    return problems


def check_ca_certificate(text: str, key: str) -> list[str]:
    """A CA bundle is public: PEM certificates only, never a private key."""
    if "PRIVATE KEY" in text:
        return [f"{key}: the file holds a private key; give only the CA's certificate (it ends up in a Secret "
                "every namespace can read)"]
    if "-----BEGIN CERTIFICATE-----" not in text:
        return [f"{key}: the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)"]
    return []

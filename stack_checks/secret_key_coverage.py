"""Proof, before deployment, that every secret key a container reads exists.

Each Secret a container references must be created by one of the same
service's secret sources, and the key must be one that source declares. A gap
is reported with the service, the env var and the key, because on a cluster
it shows up only as a pod stuck in CreateContainerConfigError (or, with an
optional ref, as an empty value: the "silent secret drop").
"""
from __future__ import annotations

from config_models.workloads.workload import WorkloadSpec


def check_secret_key_coverage(service_name: str, spec: WorkloadSpec) -> list[str]:
    problems = []
    provided = {secret: set(source.provided_keys) for secret, source in spec.secrets.items()}
    for env_var, reference in sorted(spec.secret_env.items()):
        path = f"services.{service_name}.secretEnv.{env_var}"
        if reference.secret not in provided:
            problems.append(
                f"{path}: service {service_name!r} env {env_var} reads Secret {reference.secret!r}, "
                f"which none of its secret sources creates (declare it under services.{service_name}.secrets)"
            )
        elif reference.key not in provided[reference.secret]:
            problems.append(
                f"{path}: service {service_name!r} env {env_var} reads key {reference.key!r} of Secret "
                f"{reference.secret!r}, which its source does not provide "
                f"(provided keys: {sorted(provided[reference.secret])}; add the key to the source)"
            )
    for index, secret in enumerate(spec.env_from_secrets):
        if secret not in provided:
            problems.append(
                f"services.{service_name}.envFromSecrets[{index}]: service {service_name!r} reads every key of "
                f"Secret {secret!r}, which none of its secret sources creates "
                f"(declare it under services.{service_name}.secrets)"
            )
    for index, files in enumerate(spec.secret_files):
        if files.secret not in provided:
            problems.append(
                f"services.{service_name}.secretFiles[{index}].secret: service {service_name!r} mounts Secret "
                f"{files.secret!r}, which none of its secret sources creates "
                f"(declare it under services.{service_name}.secrets)"
            )
    return problems

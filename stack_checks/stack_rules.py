"""The rules that span several keys of the stack config, checked before any resource exists.

Each takes the validated `StackConfig` and returns problems naming their key
paths. They read workloads only through the facts every kind answers
(`workload_spec.WorkloadSpec`: images, pod requests at the floor and during
a rollout, claims, routable ports, secret sources), never through a kind, so a
new kind passes through all of them unchanged. Kind-specific rules that depend
on the environment come from the kind itself (`kind_problems`,
`kind_warnings`).
"""
from __future__ import annotations

from config_models.stack import StackConfig
from stack_checks.backup import check_backup
from stack_checks.derived_names import check_derived_names
from stack_checks.network import check_network, network_warnings
from stack_checks.node_pool_headroom import headroom_problem
from stack_checks.reference_graph import check_reference_graph
from stack_checks.release import check_release_coherence
from stack_checks.route_references import reference_problems, route_addresses
from stack_checks.routing import check_routing
from stack_checks.secret_key_coverage import check_secret_key_coverage
from stack_checks.storage import check_storage
from stack_checks.vault import check_vault_paths_owned


def release_components_in_use(config: StackConfig) -> dict[str, str]:
    """Component name -> the key path that makes it deployed (the first, in name order)."""
    used: dict[str, str] = {}
    for name, service in sorted(config.services.items()):
        for component, key in service.release_components(name).items():
            used.setdefault(component, key)
    return used


def cluster_is_managed(config: StackConfig) -> bool:
    return bool(config.azure and config.azure.cluster and config.azure.cluster.managed)


# Prod's autoscaler floor: one node may drain or fail while the other serves.
PROD_MIN_NODE_FLOOR = 2
NODE_POOL_KEY = "azure.cluster.nodePool"


def _headroom(config: StackConfig) -> str | None:
    if config.azure is None or config.azure.cluster is None:
        return None
    pool = config.azure.cluster.node_pool
    return headroom_problem(config.services, pool.vm_size, pool.min_count, NODE_POOL_KEY)


def stack_warnings(config: StackConfig) -> list[str]:
    """Problems that stop prod but only warn elsewhere, and gate overrides (shown by render and by the engine)."""
    problem = _headroom(config)
    warnings = [problem] if problem is not None and config.environment != "prod" else []
    for name, service in sorted(config.services.items()):
        warnings += service.kind_warnings(name, config.environment)
    warnings += network_warnings(config)
    for component, override in sorted(config.release.promotion_gate.overrides.items()):
        entry = config.release.images.get(component)
        if entry is None or entry.image != override.image:
            warnings.append(f"release.promotionGate.overrides.{component}: admits {override.image!r}, which "
                            "release.images does not pin (remove the override)")
        else:
            warnings.append(f"release.promotionGate.overrides.{component}: the provenance gate is overridden for "
                            f"{override.image!r}; reason: {override.reason}")
    return warnings


def check_stack_rules(config: StackConfig) -> list[str]:
    """Rules that span several keys; each problem names its key path."""
    problems: list[str] = check_reference_graph(config) + check_derived_names(config)
    addresses = route_addresses(config.routing)
    for name, service in sorted(config.services.items()):
        if service.namespace not in config.namespaces:
            problems.append(
                f"services.{name}.namespace: {service.namespace!r} is not declared under namespaces "
                f"(declared: {sorted(config.namespaces)})"
            )
        problems += check_secret_key_coverage(name, service)
        problems += route_reference_problems(name, service, addresses)
        problems += service.kind_problems(name, config.environment)
        if config.environment == "prod" and service.allow_writable_root_filesystem:
            problems.append(
                f"services.{name}.allowWritableRootFilesystem: true is not allowed in prod "
                "(mount an emptyDir for the paths the service writes instead)"
            )
    problems += check_release_coherence(config.release, release_components_in_use(config))
    if config.environment == "prod" and config.release.promotion_gate.ledger is None:
        problems.append("release.promotionGate.ledger: required in prod (prod may only run images staging ran; "
                        "point it at releases/staging-verified.yaml)")
    if config.environment == "prod" and not config.release.registry_allowlist:
        problems.append("release.registryAllowlist: required in prod (list the registries prod may pull from)")
    secret_targets: dict[tuple[str, str], str] = {}
    missing_issuer = False
    for name, service in sorted(config.services.items()):
        for secret, source in sorted(service.secrets.items()):
            target = (service.namespace, secret)
            if target in secret_targets:
                problems.append(
                    f"services.{name}.secrets.{secret}: Secret {secret!r} in namespace {service.namespace!r} is "
                    f"already created by {secret_targets[target]} (one source per Secret)"
                )
            secret_targets[target] = f"services.{name}.secrets.{secret}"
            if source.vault is not None and config.vault is None:
                problems.append(
                    f"services.{name}.secrets.{secret}.vault: the stack has no `vault` server config "
                    "(add platform:vault with its address)"
                )
            key_vault = source.azure_key_vault
            if key_vault is not None and key_vault.cluster_secret_store is None:
                if config.azure is None or config.azure.key_vault is None:
                    problems.append(
                        f"services.{name}.secrets.{secret}.azureKeyVault: the stack has no `azure.keyVault` "
                        "(reference the vault by id, or create it)"
                    )
                elif config.azure.oidc_issuer_url is None and not cluster_is_managed(config) and not missing_issuer:
                    # One stack-wide key: reported once, however many workloads need it.
                    missing_issuer = True
                    problems.append(
                        "azure.oidcIssuerUrl: required for Workload Identity when the program does not manage "
                        "the AKS cluster (az aks show --query oidcIssuerProfile.issuerUrl)"
                    )
    if config.routing is not None:
        problems += check_routing(config.routing, config.services, config.environment, set(config.namespaces))
    if config.azure is not None and config.azure.cluster is not None:
        pool = config.azure.cluster.node_pool
        if config.environment == "prod" and pool.min_count < PROD_MIN_NODE_FLOOR:
            problems.append(f"{NODE_POOL_KEY}.minCount: {pool.min_count} is below prod's floor of "
                            f"{PROD_MIN_NODE_FLOOR} (one node must be able to drain while another serves)")
        headroom = _headroom(config)
        if headroom is not None and config.environment == "prod":
            problems.append(headroom)
    if config.environment == "prod" and config.vault is not None and config.vault.skip_tls_verify:
        problems.append("vault.skipTlsVerify: true is not allowed in prod (give VSO the server's CA instead)")
    key_vault = config.azure.key_vault if config.azure is not None else None
    if (config.environment == "prod" and key_vault is not None and key_vault.create is not None
            and key_vault.create.network.public_access == "open"):
        problems.append("azure.keyVault.create.network.publicAccess: 'open' is not allowed in prod (list the "
                        "networks that may connect in allowedSubnetIds or allowedIpRanges, or use a private "
                        "endpoint)")
    if config.environment == "prod" and config.vault is not None:
        if not config.vault.address.startswith("https://"):
            problems.append(f"vault.address: {config.vault.address!r} is not allowed in prod: tokens and every "
                            "secret value would cross the pod network in clear (use https:// and vault.caCertFile)")
        if config.vault.ca_cert_file is None:
            problems.append("vault.caCertFile: required in prod (the PEM file of the CA that signed OpenBao's "
                            "certificate, so VSO verifies the server)")
    problems += check_vault_paths_owned(config.services)
    problems += check_network(config)
    problems += check_storage(config)
    problems += check_backup(config)
    return problems


def route_reference_problems(name: str, service, addresses) -> list[str]:
    """Unknown `${route.*}` references in the workload's env values (config files: `stack_config`)."""
    problems = []
    for var, value in sorted(service.env.items()):
        problems += reference_problems(value, f"services.{name}.env.{var}", addresses)
    migration = service.release_migration()
    if migration is not None:
        for var, value in sorted(migration.env.items()):
            problems += reference_problems(value, f"services.{name}.migration.env.{var}", addresses)
    return problems

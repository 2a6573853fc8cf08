"""The pack's policies, in the order they are reported: resource rules, then stack rules.

Adding a policy: write `policies/<name_with_underscores>.py` exporting
`POLICY`, add it here, add `tests/test_policy_<same name>.py`, and give it a
level in `config/staging.json` and `config/prod.json`.
"""
from __future__ import annotations

from . import (
    aks_node_pool_autoscaling,
    autoscaler_target_exists,
    container_resources,
    cron_job_concurrency,
    external_secret_api_version,
    external_secret_creation_policy,
    external_secret_deletion_policy,
    external_secret_refresh_interval,
    gateway_listener_tls,
    http_route_parent_gateway,
    image_pinned_by_digest,
    ingress_class_name,
    ingress_no_snippet_annotations,
    ingress_tls,
    key_vault_purge_protection,
    key_vault_rbac_authorization,
    key_vault_soft_delete,
    namespace_default_deny,
    no_autoscaler_on_single_writer,
    no_disruption_budget_on_single_writer,
    no_literal_secret_manifest,
    no_literal_secret_values,
    node_pool_headroom,
    not_default_namespace,
    one_certificate_per_host,
    persistent_volume_claim_access_mode,
    persistent_volume_claim_protected,
    persistent_volume_claim_retained,
    persistent_volume_claim_storage_class,
    pod_disruption_budget_allows_eviction,
    pod_security_restricted,
    probe_port_declared,
    rbac_no_cluster_admin_binding,
    rbac_no_cluster_wide_secret_reads,
    rbac_no_default_service_account_binding,
    rbac_no_pod_creation,
    rbac_no_pod_exec_attach,
    rbac_no_privilege_escalation_verbs,
    rbac_no_wildcard,
    read_only_root_filesystem,
    replicated_deployment_availability,
    replicated_workload_readiness_probe,
    route_backend_exists,
    secret_key_coverage,
    service_account_token_not_mounted,
    service_selects_pods,
    service_type_cluster_ip,
    single_writer_deployment,
    single_writer_liveness_probe,
    vault_connection_tls,
    vault_static_secret_hmac_for_rollout,
    vault_static_secret_refresh,
    vault_static_secret_rollout_targets,
)

PACK_NAME = "platform"

POLICIES = [
    # Workloads
    image_pinned_by_digest.POLICY,
    single_writer_deployment.POLICY,
    single_writer_liveness_probe.POLICY,
    cron_job_concurrency.POLICY,
    pod_security_restricted.POLICY,
    read_only_root_filesystem.POLICY,
    container_resources.POLICY,
    service_account_token_not_mounted.POLICY,
    no_literal_secret_values.POLICY,
    not_default_namespace.POLICY,
    probe_port_declared.POLICY,
    # Storage
    persistent_volume_claim_access_mode.POLICY,
    persistent_volume_claim_storage_class.POLICY,
    # Secrets
    vault_static_secret_refresh.POLICY,
    vault_static_secret_hmac_for_rollout.POLICY,
    external_secret_api_version.POLICY,
    external_secret_refresh_interval.POLICY,
    external_secret_creation_policy.POLICY,
    external_secret_deletion_policy.POLICY,
    no_literal_secret_manifest.POLICY,
    vault_connection_tls.POLICY,
    # Routing
    ingress_class_name.POLICY,
    ingress_no_snippet_annotations.POLICY,
    gateway_listener_tls.POLICY,
    # Network
    service_type_cluster_ip.POLICY,
    # RBAC
    rbac_no_cluster_admin_binding.POLICY,
    rbac_no_wildcard.POLICY,
    rbac_no_pod_exec_attach.POLICY,
    rbac_no_pod_creation.POLICY,
    rbac_no_cluster_wide_secret_reads.POLICY,
    rbac_no_privilege_escalation_verbs.POLICY,
    rbac_no_default_service_account_binding.POLICY,
    # Azure
    aks_node_pool_autoscaling.POLICY,
    key_vault_rbac_authorization.POLICY,
    key_vault_soft_delete.POLICY,
    key_vault_purge_protection.POLICY,
    # Stack rules
    no_autoscaler_on_single_writer.POLICY,
    no_disruption_budget_on_single_writer.POLICY,
    replicated_deployment_availability.POLICY,
    replicated_workload_readiness_probe.POLICY,
    pod_disruption_budget_allows_eviction.POLICY,
    secret_key_coverage.POLICY,
    vault_static_secret_rollout_targets.POLICY,
    persistent_volume_claim_protected.POLICY,
    persistent_volume_claim_retained.POLICY,
    node_pool_headroom.POLICY,
    # Stack rules: routing
    ingress_tls.POLICY,
    one_certificate_per_host.POLICY,
    http_route_parent_gateway.POLICY,
    # Stack rules: network
    namespace_default_deny.POLICY,
    # Stack rules: references between the objects of one scan
    service_selects_pods.POLICY,
    route_backend_exists.POLICY,
    autoscaler_target_exists.POLICY,
]

"""Render mode for the real engine: an explicit provider that never reaches a cluster, and absent plugins skipped."""
from __future__ import annotations

from components.provider_plugins import ProviderPlugins
from components.service import CLIENT_ID_NOT_CREATED
from components.stack import deploy_stack
from stack_checks.load import load_stack, parse_stack_config, read_stack_file
from stackctl.render import record_resources


def _config(project_root, **kubernetes):
    values = read_stack_file(project_root / "Pulumi.staging.yaml")
    values["kubernetes"] = kubernetes
    return parse_stack_config(values, project_root)


def test_render_key_switches_every_kubernetes_object_to_a_render_provider(project_root, tmp_path):
    config, files = _config(project_root, renderYamlToDirectory=str(tmp_path / "yaml"))
    result = record_resources(lambda: deploy_stack(config, files))
    (provider,) = [p for p in result.providers if p.type == "pulumi:providers:kubernetes"]
    assert provider.inputs["renderYamlToDirectory"] == str(tmp_path / "yaml")
    assert provider.inputs["kubeconfig"] == ""
    assert all(resource.type.startswith(("kubernetes:", "azure-native:", "vault:")) for resource in result.resources)


def test_without_the_render_key_no_explicit_provider_is_registered(project_root):
    config, files = load_stack(project_root, "staging")
    result = record_resources(lambda: deploy_stack(config, files))
    assert [p for p in result.providers if p.type == "pulumi:providers:kubernetes"] == []


def test_absent_azure_and_vault_plugins_skip_their_resources_and_nothing_else(project_root):
    config, files = load_stack(project_root, "staging")
    full = record_resources(lambda: deploy_stack(config, files))
    skipped = record_resources(lambda: deploy_stack(config, files, ProviderPlugins(azure=False, vault=False)))
    kubernetes = sorted(r.urn for r in full.resources if r.type.startswith("kubernetes:"))
    assert sorted(r.urn for r in skipped.resources) == kubernetes
    assert any(r.type.startswith("azure-native:") for r in full.resources)
    assert any(r.type.startswith("vault:") for r in full.resources)
    account = next(r for r in skipped.resources if r.type == "kubernetes:core/v1:ServiceAccount"
                   and r.inputs["metadata"]["name"] == "forge-key-vault")
    assert account.inputs["metadata"]["annotations"]["azure.workload.identity/client-id"] == CLIENT_ID_NOT_CREATED


def test_plugins_are_detected_only_in_render_mode_or_with_the_local_cluster_opt_in(project_root, tmp_path,
                                                                                    monkeypatch):
    from components.provider_plugins import detect_provider_plugins

    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "empty-pulumi-home"))  # no plugin installed
    applying, _ = _config(project_root)
    assert detect_provider_plugins(applying) == ProviderPlugins(azure=True, vault=True)  # the engine's error
    opted_in, _ = _config(project_root, skipCloudResourcesWithoutPlugins=True)
    assert detect_provider_plugins(opted_in) == ProviderPlugins(azure=False, vault=False)
    rendering, _ = _config(project_root, renderYamlToDirectory=str(tmp_path / "yaml"))
    assert detect_provider_plugins(rendering) == ProviderPlugins(azure=False, vault=False)
    (tmp_path / "empty-pulumi-home" / "plugins" / "resource-vault-v7.14.0").mkdir(parents=True)
    assert detect_provider_plugins(opted_in) == ProviderPlugins(azure=False, vault=True)

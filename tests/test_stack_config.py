"""Bad config: exact error texts, exit status, no traceback, nothing rendered."""
from __future__ import annotations

import subprocess
import sys

import pytest

from stack_file_edits import edit_stack_file

SOL_DIGEST = "registry.sunbeam.pt/studio/sol@sha256:be539f2bd0ce7b4a99a4dd1ebe22954331a5e1cb7f53152f95e7315914eb0317"


def _set(path: list[str], value):
    def edit(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


def _delete(path: list[str]):
    def edit(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return edit


BAD_CONFIGS = {
    "replicas above 1": (
        _set(["services", "sol", "replicas"], 3),
        "services.sol.replicas: 3 is not allowed: a single-writer deployment runs exactly 1 replica "
        "(its data is on a ReadWriteOnce volume); remove the key, or use kind: replicated for a stateless service",
    ),
    "rolling update": (
        _set(["services", "sol", "strategy"], "RollingUpdate"),
        "services.sol.strategy: 'RollingUpdate' is not allowed: a single writer must stop before its replacement "
        "starts, so the strategy is always Recreate; remove the key",
    ),
    "tag instead of digest": (
        _set(["release", "images", "sol", "image"], "registry.sunbeam.pt/studio/sol:latest"),
        "release.images.sol.image: 'registry.sunbeam.pt/studio/sol:latest' must be pinned by digest "
        "(registry/repo@sha256:<64 hex>)",
    ),
    "unknown key": (
        _set(["services", "sol", "replica"], 2),
        "services.sol.replica: unknown key (did you mean 'replicas'? every key is in docs/config.md)",
    ),
    "secret key referenced but not provided": (
        _set(["services", "sol", "secretEnv", "SOL_MISTRAL_API_KEY"], {"secret": "sol-secrets", "key": "mistral-key"}),
        "services.sol.secretEnv.SOL_MISTRAL_API_KEY: service 'sol' env SOL_MISTRAL_API_KEY reads key 'mistral-key' "
        "of Secret 'sol-secrets', which its source does not provide (provided keys: ['matrix-access-token', "
        "'matrix-device-id', 'mistral-api-key']; add the key to the source)",
    ),
    "secret that no source creates": (
        _set(["services", "sol", "secretEnv", "SOL_MISTRAL_API_KEY"], {"secret": "mistral", "key": "api-key"}),
        "services.sol.secretEnv.SOL_MISTRAL_API_KEY: service 'sol' env SOL_MISTRAL_API_KEY reads Secret 'mistral', "
        "which none of its secret sources creates (declare it under services.sol.secrets)",
    ),
    "volume size not a quantity": (
        _set(["services", "sol", "data", "size"], "1GB"),
        "services.sol.data.size: '1GB' is not a Kubernetes quantity such as 1Gi, 512Mi, 100m or 0.5",
    ),
    "access mode that allows several writers": (
        _set(["services", "sol", "data", "accessMode"], "ReadWriteMany"),
        "services.sol.data.accessMode: 'ReadWriteMany' is invalid: Input should be 'ReadWriteOnce' or 'ReadWriteOncePod'",
    ),
    "root user": (
        _set(["services", "sol", "identity"], {"runAsUser": 0}),
        "services.sol.identity.runAsUser: 0 must be a non-root id (1 or more; the default is 65532)",
    ),
    "memory limit missing": (
        _set(["services", "sol", "resources", "limits"], {}),
        "services.sol.resources: limits.memory is required (e.g. 512Mi)",
    ),
    "namespace not declared": (
        _set(["services", "sol", "namespace"], "bots"),
        "services.sol.namespace: 'bots' is not declared under namespaces (declared: ['chat', 'edge', 'forge', "
        "'matrix', 'memql'])",
    ),
    "image without release entry": (
        _delete(["release", "images", "busybox"]),
        "services.sol.dataDirectories.image: component 'busybox' has no image in release.images "
        "(add release.images.busybox.image: registry/repo@sha256:<64 hex>)",
    ),
    "extra release entry": (
        _set(["release", "images", "web"], {"image": SOL_DIGEST}),
        "release.images.web: component 'web' is not deployed by this stack "
        "(remove the entry; every entry must be a deployed component)",
    ),
    "registry not allowed": (
        _set(["release", "registryAllowlist"], ["acrmemql.azurecr.io"]),
        [
            "release.images.busybox.image: registry 'registry.sunbeam.pt' is not in release.registryAllowlist "
            "['acrmemql.azurecr.io']",
            "release.images.chat.image: registry 'registry.sunbeam.pt' is not in release.registryAllowlist "
            "['acrmemql.azurecr.io']",
            "release.images.forge.image: registry 'registry.sunbeam.pt' is not in release.registryAllowlist "
            "['acrmemql.azurecr.io']",
            "release.images.litestream.image: registry 'registry.sunbeam.pt' is not in release.registryAllowlist "
            "['acrmemql.azurecr.io']",
            "release.images.sol.image: registry 'registry.sunbeam.pt' is not in release.registryAllowlist "
            "['acrmemql.azurecr.io']",
        ],
    ),
    "external secret with an empty mapping": (
        _set(["services", "forge", "secrets", "forge-secrets", "azureKeyVault", "data"], []),
        "services.forge.secrets.forge-secrets.azureKeyVault.data: [] is empty: an ExternalSecret must map at least "
        "one Key Vault secret to a key",
    ),
    "duplicate secret key in one target": (
        lambda config: config["services"]["forge"]["secrets"]["forge-secrets"]["azureKeyVault"]["data"].append(
            {"secretKey": "jwt-secret", "keyVaultSecret": "forge-jwt-secret-2"}),
        "services.forge.secrets.forge-secrets.azureKeyVault.data: key 'jwt-secret' appears more than once in one "
        "Secret; each key must be unique",
    ),
    "workload reading another workload's vault path": (
        _set(["services", "sol", "secrets", "sol-secrets", "vault", "path"], "forge"),
        "services.sol.secrets.sol-secrets.vault.path: 'forge' is not a path of service 'sol' (it belongs to service "
        "'forge'); a workload may only read paths under 'sol' (least privilege)",
    ),
    "key vault secret used without an issuer": (
        _delete(["azure", "oidcIssuerUrl"]),
        "azure.oidcIssuerUrl: required for Workload Identity when the program does not manage the AKS cluster "
        "(az aks show --query oidcIssuerProfile.issuerUrl)",
    ),
    "config file missing": (
        _set(["services", "sol", "configFiles", "files", "sol.toml", "source"], "config/sol/missing.toml"),
        "services.sol.configFiles.files.sol.toml.source: 'config/sol/missing.toml' cannot be read "
        "(FileNotFoundError: No such file or directory); the path is relative to the project root",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_rejected_with_its_key_and_nothing_is_rendered(case, scratch_project, project_root):
    edit, expected = BAD_CONFIGS[case]
    bad = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "bad.yaml", edit)
    out = scratch_project / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "stackctl", "render", "staging", "--config-file", str(bad), "--out", str(out)],
        cwd=project_root, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.splitlines()
    problems = [line.removeprefix("error: ") for line in lines[:-1]]
    assert problems == (expected if isinstance(expected, list) else [expected])
    assert lines[-1] == f"invalid config in {bad}; nothing was rendered ({len(problems)} problem" + (
        "s)" if len(problems) > 1 else ")")
    assert not out.exists(), "bad config must render nothing"


def test_prod_refuses_what_staging_allows(scratch_project):
    from config_models.base import ConfigError
    from stack_checks.load import load_stack

    def edit(config):
        config["services"]["sol"]["allowWritableRootFilesystem"] = True
        config["release"]["registryAllowlist"] = []
    bad = edit_stack_file(scratch_project / "Pulumi.prod.yaml", scratch_project / "bad.yaml", edit)
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, "prod", bad)
    assert raised.value.problems == [
        "services.sol.allowWritableRootFilesystem: true is not allowed in prod "
        "(mount an emptyDir for the paths the service writes instead)",
        "release.registryAllowlist: required in prod (list the registries prod may pull from)",
    ]
    staging = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "ok.yaml", edit)
    config, _ = load_stack(scratch_project, "staging", staging)
    assert config.services["sol"].allow_writable_root_filesystem is True


def test_duplicate_yaml_keys_are_refused_not_resolved(scratch_project):
    from config_models.base import ConfigError
    from stack_checks.load import load_stack

    text = (scratch_project / "Pulumi.staging.yaml").read_text()
    text = text.replace("        size: 1Gi\n", "        size: 1Gi\n        size: 5Gi\n")
    bad = scratch_project / "dup.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, "staging", bad)
    line = text.splitlines().index("        size: 5Gi") + 1
    assert raised.value.problems == [
        f"{bad}: line {line}, column 9: key 'size' appears twice in one mapping (values '1Gi' and '5Gi'); YAML "
        "keeps only one of them (remove the one you did not mean)"]


def test_pulumi_yaml_declares_exactly_the_top_level_keys(project_root):
    import yaml

    from config_models.stack import PROJECT_NAME, StackConfig

    declared = yaml.safe_load((project_root / "Pulumi.yaml").read_text())["config"]
    expected = {f"{PROJECT_NAME}:{field.alias}" for field in StackConfig.model_fields.values()}
    assert set(declared) == expected
    for key, declaration in declared.items():
        assert declaration["type"] in ("string", "object"), key
        assert declaration["description"], key

"""No data lost in prod: retained storage, continuous backup, TLS to OpenBao, Key Vault network rules.

Bad config is refused with the key named, through `load_stack` on copies of
the real stacks; the render shows what the program builds. The backup itself
runs against real Litestream and Azurite in tests/backup.
"""
from __future__ import annotations

import pytest
import yaml

from config_models.base import ConfigError
from stack_checks.load import load_stack
from stack_file_edits import edit_stack_file


def _problems(scratch_project, stack, edit) -> list[str]:
    bad = edit_stack_file(scratch_project / f"Pulumi.{stack}.yaml", scratch_project / "bad.yaml", edit)
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, stack, bad)
    return raised.value.problems


def _set_vault(key, value):
    return lambda c: c["vault"].__setitem__(key, value)


@pytest.mark.parametrize("case, edit, expected", [
    ("prod without backup",
     lambda c: c["services"]["sol"]["data"].pop("backup"),
     "services.sol.data.backup: required in prod for a single writer (its only copy of its data is on one disk; "
     "back it up continuously with Litestream: backup: {databases: [<file>.db]})"),
    ("prod on a Delete class",
     lambda c: (c["storage"]["classes"].__setitem__("managed-csi", {"existing": {"reclaimPolicy": "Delete"}}),
                c["services"]["forge"]["data"].__setitem__("storageClass", "managed-csi")),
     "services.forge.data.storageClass: 'managed-csi' has reclaimPolicy Delete, which deletes the disk with the "
     "claim; prod's single writers need a class that retains (storage.classes.<name>.create)"),
    ("prod on the cluster default class",
     lambda c: c["services"]["chat"]["data"].pop("storageClass"),
     "services.chat.data.storageClass: unset in prod, so the claim gets the cluster's default class, whose "
     "reclaimPolicy is Delete on AKS (managed-csi); name a class from storage.classes that retains its disks"),
    ("an undeclared class",
     lambda c: c["services"]["forge"]["data"].__setitem__("storageClass", "fast"),
     "services.forge.data.storageClass: 'fast' is not declared under storage.classes (create it, or declare it as "
     "existing with its reclaimPolicy)"),
    ("prod with http Vault",
     _set_vault("address", "http://openbao.openbao.svc.cluster.local:8200"),
     "vault.address: 'http://openbao.openbao.svc.cluster.local:8200' is not allowed in prod: tokens and every "
     "secret value would cross the pod network in clear (use https:// and vault.caCertFile)"),
    ("prod without the Vault CA",
     lambda c: c["vault"].pop("caCertFile"),
     "vault.caCertFile: required in prod (the PEM file of the CA that signed OpenBao's certificate, so VSO "
     "verifies the server)"),
    ("prod with an open Key Vault",
     lambda c: c["azure"]["keyVault"]["create"].__setitem__("network", {"publicAccess": "open"}),
     "azure.keyVault.create.network.publicAccess: 'open' is not allowed in prod (list the networks that may "
     "connect in allowedSubnetIds or allowedIpRanges, or use a private endpoint)"),
    ("a backup without storage",
     lambda c: c["azure"].pop("backupStorage"),
     "services.chat.data.backup: the stack has no azure.backupStorage (add it with the storage account name)"),
])
def test_prod_refuses_what_could_lose_or_leak_data(case, edit, expected, scratch_project):
    assert expected in _problems(scratch_project, "prod", edit)


def test_a_ca_file_with_a_private_key_is_refused(scratch_project):
    (scratch_project / "config" / "vault").mkdir(parents=True, exist_ok=True)
    (scratch_project / "config" / "vault" / "bundle.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n"
        "-----END PRIVATE KEY-----\n")
    problems = _problems(scratch_project, "staging", _set_vault("caCertFile", "config/vault/bundle.pem"))
    assert problems == ["vault.caCertFile: the file holds a private key; give only the CA's certificate (it ends up "
                        "in a Secret every namespace can read)"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_each_single_writer_restores_then_replicates_as_its_own_identity(stack, rendered):
    _, out = rendered[stack]
    for namespace, name, database in (("matrix", "sol", "/data/sol.db"),
                                      ("forge", "forge", "/var/lib/gitea/data/forgejo.db")):
        pod = yaml.safe_load((out / namespace / f"Deployment-{name}.yaml").read_text())["spec"]["template"]
        init = {c["name"]: c for c in pod["spec"]["initContainers"]}
        names = list(init)
        assert names.index("litestream-restore-0") < names.index("litestream") == len(names) - 1
        assert init["litestream-restore-0"]["args"] == [
            "restore", "-config", "/etc/litestream/litestream.yml", "-if-db-not-exists", "-if-replica-exists",
            database]
        assert init["litestream"]["restartPolicy"] == "Always"
        assert init["litestream"]["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["spec"]["serviceAccountName"] == f"{name}-backup"
        assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
        skipped = pod["metadata"]["annotations"]["azure.workload.identity/skip-containers"].split(";")
        assert name in skipped and not any(c.startswith("litestream") for c in skipped)
        config = yaml.safe_load((out / namespace / f"ConfigMap-{name}-litestream.yaml").read_text())
        litestream = yaml.safe_load(config["data"]["litestream.yml"])
        (db,) = litestream["dbs"]
        assert db["path"] == database and db["replica"]["type"] == "abs"
        assert not {"account-key", "sas-token"} & set(db["replica"]), "no key may ever be rendered"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_backup_storage_keeps_versions_and_takes_no_keys(stack, rendered):
    _, out = rendered[stack]
    account = yaml.safe_load(next((out / ".stackctl" / "cloud").glob("*StorageAccount--backup-storage-account")).read_text())
    inputs = account["inputs"]
    assert (inputs["allowSharedKeyAccess"], inputs["allowBlobPublicAccess"], inputs["minimumTlsVersion"]) == (
        False, False, "TLS1_2")
    assert account["options"]["protect"] is True and account["options"]["retainOnDelete"] is True
    service = yaml.safe_load(next((out / ".stackctl" / "cloud").glob("*BlobServiceProperties*")).read_text())["inputs"]
    assert service["isVersioningEnabled"] is True and service["deleteRetentionPolicy"]["enabled"] is True
    role = yaml.safe_load(next((out / ".stackctl" / "cloud").glob("*RoleAssignment--sol-backup-*")).read_text())["inputs"]
    assert role["roleDefinitionId"].endswith("/ba92f5b4-2d11-453d-a403-e96b0029c9fe")
    # Scoped to the service's own container, not the account, group or subscription.
    assert role["scope"] == "${BlobContainer:backup-storage-sol-container.id}"

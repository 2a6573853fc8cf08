"""`stackctl drift`: the live cluster against the images the release block pins, and rollout health."""
from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import yaml

SOL_PINNED = ("registry.sunbeam.pt/studio/sol@sha256:"
              "be539f2bd0ce7b4a99a4dd1ebe22954331a5e1cb7f53152f95e7315914eb0317")


def _healthy(deployment):
    """A rendered Deployment as `kubectl get -o json` shows it after a finished rollout."""
    live = copy.deepcopy(deployment)
    live["metadata"]["generation"] = 2
    replicas = live["spec"].get("replicas", 1)
    live["status"] = {
        "observedGeneration": 2, "replicas": replicas, "updatedReplicas": replicas,
        "readyReplicas": replicas, "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
    return live


def _live_from_golden(project_root, stack="staging"):
    golden = project_root / "tests" / "golden" / stack
    # What `kubectl get deployments,statefulsets,cronjobs,jobs` lists: every workload the stack renders.
    items = [_healthy(yaml.safe_load(path.read_text()))
             for pattern in ("Deployment-*.yaml", "Job-*.yaml", "CronJob-*.yaml")
             for path in sorted(golden.rglob(pattern))]
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _drift(project_root, live, tmp_path, *flags, raw=None):
    live_file = tmp_path / "live.json"
    live_file.write_text(raw if raw is not None else json.dumps(live))
    return subprocess.run([sys.executable, "-m", "stackctl", "drift", "staging", "--live", str(live_file), *flags],
                          cwd=project_root, capture_output=True, text=True, timeout=120)


def _item(live, name):
    return next(item for item in live["items"] if item["metadata"]["name"] == name)


def test_cluster_running_the_pinned_images_has_no_drift(project_root, tmp_path):
    completed = _drift(project_root, _live_from_golden(project_root), tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "no drift: 10 workloads run the images stack staging pins, rollouts complete\n"


def test_a_hand_set_image_and_a_missing_deployment_are_drift(project_root, tmp_path):
    live = _live_from_golden(project_root)
    _item(live, "sol")["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.sunbeam.pt/studio/sol:hotfix"
    live["items"] = [item for item in live["items"] if item["metadata"]["name"] != "chat"]
    completed = _drift(project_root, live, tmp_path)
    assert completed.returncode == 1
    assert completed.stderr == ""
    assert completed.stdout.splitlines() == [
        "drift: 2 differences between the cluster and stack staging:",
        "  Deployment chat/chat: not on the cluster (not in --live)",
        f"  Deployment matrix/sol containers/sol: runs registry.sunbeam.pt/studio/sol:hotfix, release pins {SOL_PINNED}",
    ]


def test_one_object_as_kubectl_get_deploy_name_prints_it(project_root, tmp_path):
    sol = _item(_live_from_golden(project_root), "sol")
    completed = _drift(project_root, sol, tmp_path)
    # The other workloads are not in the file: reported, not silently passed.
    assert completed.returncode == 1
    missing = completed.stdout.splitlines()[1:]
    assert "  Deployment chat/chat: not on the cluster (not in --live)" in missing
    assert "  Deployment forge/forge: not on the cluster (not in --live)" in missing
    assert len(missing) == 9 and not any("matrix/sol" in line for line in missing)


def test_stuck_and_unobserved_rollouts_are_drift(project_root, tmp_path):
    live = _live_from_golden(project_root)
    sol = _item(live, "sol")
    sol["status"]["updatedReplicas"] = 0
    sol["status"]["availableReplicas"] = 0
    sol["status"]["conditions"][1] = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                      "message": 'ReplicaSet "sol-7d9" has timed out progressing.'}
    _item(live, "forge")["metadata"]["generation"] = 3
    del _item(live, "chat")["status"]
    completed = _drift(project_root, live, tmp_path)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        "drift: 5 differences between the cluster and stack staging:",
        "  Deployment chat/chat: has no status (kubectl output without `status`? use `-o json` from the cluster)",
        "  Deployment forge/forge: rollout not observed: generation 3, observedGeneration 2",
        "  Deployment matrix/sol: updatedReplicas 0 of 1",
        "  Deployment matrix/sol: availableReplicas 0 of 1",
        '  Deployment matrix/sol: rollout stuck: ProgressDeadlineExceeded (ReplicaSet "sol-7d9" has timed out '
        'progressing.)',
    ]


KUBECTL = "kubectl get deployments,statefulsets,cronjobs,jobs --all-namespaces -o json"


@pytest.mark.parametrize("raw, message", [
    ("[]", f"is a bare JSON array; give kubectl's own output, a List with `items` or one object (`{KUBECTL}`)"),
    ('{"kind": "Service", "metadata": {"name": "x"}}',
     f"holds kind 'Service', not a workload or a List of them; give `{KUBECTL}`"),
    ('"text"', f"holds a JSON str, not a workload or a List of them; give `{KUBECTL}`"),
    ('{"kind": "List", "items": [{"kind": "Deployment", "metadata": {}}]}',
     "items[0] has no metadata.name; is it kubectl's JSON output, unedited?"),
    ('{"kind": "List", "items": [7]}', "items[0] has no metadata.name; is it kubectl's JSON output, unedited?"),
    ("deployments:\n- sol\n", f"is not JSON (line 1: Expecting value); use `-o json`: `{KUBECTL}`"),
])
def test_input_that_is_not_kubectl_json_is_refused_with_exit_2(project_root, tmp_path, raw, message):
    completed = _drift(project_root, None, tmp_path, raw=raw)
    assert completed.returncode == 2
    assert completed.stderr == f"error: --live: '{tmp_path / 'live.json'}' ({message})\n"
    assert "Traceback" not in completed.stderr and completed.stdout == ""


def test_every_workload_kind_is_compared_with_its_own_pod_template_path():
    from stackctl.drift import find_drift, live_objects

    image = "registry.example.com/a/backup@sha256:" + "1" * 64
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "matrix"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": image}]}}}}}}
    stateful = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "matrix"},
                "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "db", "image": image}]}}}}
    live_cron = copy.deepcopy(cron)
    live_cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example.com/a/backup:1"
    live_stateful = copy.deepcopy(stateful)
    live_stateful["metadata"]["generation"] = 1
    live_stateful["status"] = {"observedGeneration": 1, "updatedReplicas": 2, "readyReplicas": 1}
    live = live_objects({"kind": "List", "items": [live_cron, live_stateful]}, "live.json")
    assert find_drift([cron, stateful], live) == [
        f"CronJob matrix/backup containers/b: runs registry.example.com/a/backup:1, release pins {image}",
        "StatefulSet matrix/db: readyReplicas 1 of 2",
    ]



def _synced_secrets(project_root, stack="staging"):
    """The Secrets VSO and ESO sync for the stack, each holding every key its source provides."""
    golden = project_root / "tests" / "golden" / stack
    secrets = []
    for path in sorted(golden.rglob("*.yaml")):
        source = yaml.safe_load(path.read_text())
        if not isinstance(source, dict) or source.get("kind") not in ("VaultStaticSecret", "ExternalSecret"):
            continue
        name = (source["spec"].get("destination") or source["spec"].get("target") or {}).get("name")
        keys = source["metadata"]["annotations"]["stackctl/provided-keys"].split(",")
        secrets.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": {"name": name or source["metadata"]["name"],
                                     "namespace": source["metadata"]["namespace"]},
                        "data": {key: "dmFsdWU=" for key in keys}})
    return secrets


def test_without_secrets_in_live_the_keys_are_not_checked_and_a_note_says_so(project_root, tmp_path):
    completed = _drift(project_root, _live_from_golden(project_root), tmp_path)
    assert completed.returncode == 0
    assert completed.stderr == ("note: secret keys not checked: --live holds no Secrets (add `secrets` to the "
                                "kubectl command and pipe it: --live /dev/stdin)\n")


def test_synced_secrets_holding_every_key_are_not_drift(project_root, tmp_path):
    live = _live_from_golden(project_root)
    live["items"] += _synced_secrets(project_root)
    completed = _drift(project_root, live, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ("no drift: 10 workloads run the images stack staging pins, rollouts complete; "
                                "9 synced Secrets hold every key the workloads read\n")
    assert completed.stderr == ""


def test_a_key_missing_from_a_synced_secret_and_an_unsynced_secret_are_drift(project_root, tmp_path):
    live = _live_from_golden(project_root)
    secrets = _synced_secrets(project_root)
    sol = next(s for s in secrets if s["metadata"]["name"] == "sol-secrets")
    del sol["data"]["mistral-api-key"]  # VSO syncs what OpenBao holds: the key is simply absent
    secrets = [s for s in secrets if s["metadata"]["name"] != "memql-bff-secrets"]
    live["items"] += secrets
    completed = _drift(project_root, live, tmp_path)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        "drift: 2 differences between the cluster and stack staging:",
        "  Secret memql/memql-bff-secrets: not on the cluster; ExternalSecret memql/memql-bff-secrets has not "
        "synced it (kubectl -n memql describe externalsecret memql-bff-secrets)",
        "  Secret matrix/sol-secrets: missing key(s) mistral-api-key that the workloads read; VaultStaticSecret "
        "matrix/sol-secrets synced only matrix-access-token, matrix-device-id (add the key at the source, then the "
        "controller syncs it)",
    ]


def test_json_output_lists_the_drift_and_validates(project_root, tmp_path):
    import jsonschema

    from stackctl.output_formats import schema_path

    live = _live_from_golden(project_root)
    live["items"] = [item for item in live["items"] if item["metadata"]["name"] != "chat"]
    completed = _drift(project_root, live, tmp_path, "--output", "json")
    document = json.loads(completed.stdout)
    jsonschema.validate(document, json.loads(schema_path("drift").read_text()))
    assert (completed.returncode, document["drift"]) == (1, ["Deployment chat/chat: not on the cluster (not in --live)"])
    assert document["workloads"] == 10

"""The reference graph and the API server's name limits, checked at config time (stack_checks/reference_graph.py,
config_models/api_server_name_limits.py): each case is a copy of a real stack with one edit, and its exact message."""
from __future__ import annotations

import subprocess
import sys

import pytest

from config_models.base import ConfigError
from stack_checks.load import load_stack
from stack_file_edits import edit_stack_file

IMAGE = "acrmemql.azurecr.io/memql-report@sha256:" + "ab" * 32
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
SERVICES_IN_CHAT = "['chat']"


def _route_auth(url: str, **extra):
    def edit(config):
        config["routing"]["routes"]["chat"]["forwardAuth"].update({"url": url, **extra})
    return edit


def _add_workload(name: str, spec: dict):
    def edit(config):
        config["services"][name] = spec
        config["release"]["images"][name] = {"image": IMAGE, "version": "1.0.0"}
    return edit


def _rename_identity(name: str):
    """memql-identity (replicated, with a migration) under another name, everything that names it following."""
    def edit(config):
        config["services"][name] = config["services"].pop("memql-identity")
        config["release"]["images"][name] = config["release"]["images"].pop("memql-identity")
        config["routing"]["routes"]["identity"]["service"] = name
        for service in config["services"].values():
            for target in service.get("talksTo", []):
                if target["service"] == "memql-identity":
                    target["service"] = name
    return edit


def _chain(*edits):
    def edit(config):
        for one in edits:
            one(config)
    return edit


CASES = {
    "a stack owning kube-system": (
        lambda config: config["namespaces"].update({"kube-system": {}}),
        ["namespaces.kube-system: 'kube-system' is owned by the cluster (created and used by Kubernetes itself); a "
         "stack that owns it puts a default deny and the restricted Pod Security level on it, which cuts off or "
         "stops the system pods there (remove it from namespaces and deploy into a namespace of your own)"],
    ),
    "a stack owning default": (
        lambda config: config["namespaces"].update({"default": {}}),
        ["namespaces.default: 'default' is owned by the cluster (created and used by Kubernetes itself); a stack "
         "that owns it puts a default deny and the restricted Pod Security level on it, which cuts off or stops "
         "the system pods there (remove it from namespaces and deploy into a namespace of your own)"],
    ),
    "a stack owning the ingress controller's namespace": (
        lambda config: config["namespaces"].update({"ingress-nginx": {}}),
        ["namespaces.ingress-nginx: 'ingress-nginx' is owned by the cluster (the ingress-nginx controller runs "
         "there (network.ingressNginxNamespace)); a stack that owns it puts a default deny and the restricted Pod "
         "Security level on it, which cuts off or stops the system pods there (remove it from namespaces and deploy "
         "into a namespace of your own)"],
    ),
    "a stack owning the DNS namespace the platform config names": (
        _chain(lambda config: config.update({"network": {"dns": {"namespace": "dns"}}}),
               lambda config: config["namespaces"].update({"dns": {}})),
        ["namespaces.dns: 'dns' is owned by the cluster (the cluster DNS runs there (network.dns.namespace)); a "
         "stack that owns it puts a default deny and the restricted Pod Security level on it, which cuts off or "
         "stops the system pods there (remove it from namespaces and deploy into a namespace of your own)"],
    ),
    "a forward-auth URL naming a Service the stack does not render": (
        _route_auth("http://auth.chat.svc.cluster.local:8080/verify"),
        ["routing.routes.chat.forwardAuth.url: 'http://auth.chat.svc.cluster.local:8080/verify' refers to Service "
         "'auth' in namespace 'chat', which this stack does not render (services in 'chat': ['chat']; point it at "
         "one of them, or declare an auth service outside this stack with forwardAuth.external: true)"],
    ),
    "a forward-auth URL naming a port the Service does not carry": (
        _route_auth("http://chat.chat.svc.cluster.local:9090/auth/verify"),
        ["routing.routes.chat.forwardAuth.url: 'http://chat.chat.svc.cluster.local:9090/auth/verify' refers to "
         "port 9090 of Service 'chat', which the Service does not carry (ports: [8080]; use one of them, or add it "
         "under services.chat.ports)"],
    ),
    "a forward-auth URL naming the Service in the wrong namespace": (
        _route_auth("http://chat.forge.svc.cluster.local:8080/auth/verify"),
        ["routing.routes.chat.forwardAuth.url: 'http://chat.forge.svc.cluster.local:8080/auth/verify' refers to "
         "Service 'chat' in namespace 'forge', which this stack does not render (services in 'forge': ['forge']; "
         "point it at one of them, or declare an auth service outside this stack with forwardAuth.external: true)"],
    ),
    "a forward-auth URL outside the cluster, not declared": (
        _route_auth("https://auth.example.org/verify"),
        ["routing.routes.chat.forwardAuth.url: 'https://auth.example.org/verify' is outside the cluster, which this "
         "stack cannot check (point it at a Service this stack renders, or declare it with forwardAuth.external: "
         "true)"],
    ),
    "a short in-cluster forward-auth URL": (
        _route_auth("http://chat.chat:8080/auth/verify"),
        ["routing.routes.chat.forwardAuth.url: 'http://chat.chat:8080/auth/verify' names the in-cluster host "
         "'chat.chat' but is not of the form http://<service>.<namespace>.svc.cluster.local:<port>/<path> (write "
         "the Service's full name and its port number)"],
    ),
    "a forward-auth URL of a bare host": (
        _route_auth("http://chat:8080/auth/verify"),
        ["routing.routes.chat.forwardAuth.url: 'http://chat:8080/auth/verify' names the in-cluster host 'chat' but "
         "is not of the form http://<service>.<namespace>.svc.cluster.local:<port>/<path> (write the Service's "
         "full name and its port number)"],
    ),
    "external: true on a Service the stack renders": (
        _route_auth("http://chat.chat.svc.cluster.local:8080/auth/verify", external=True),
        ["routing.routes.chat.forwardAuth.url: 'http://chat.chat.svc.cluster.local:8080/auth/verify' refers to "
         "Service 'chat', which this stack renders; remove forwardAuth.external (it is for auth services outside "
         "this stack)"],
    ),
    "an outside auth Service under gatewayApi, in a namespace the stack cannot grant": (
        _chain(lambda config: config["routing"].update({"implementation": ["gatewayApi"]}),
               lambda config: config["routing"]["routes"]["chat"].update({"forwardAuth": {
                   "url": "http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth", "external": True}})),
        ["routing.routes.chat.forwardAuth.url: 'http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth' refers "
         "to a Service in namespace 'auth', which this stack does not own; under routing.implementation gatewayApi "
         "the SecurityPolicy needs a ReferenceGrant there, which only that namespace's owner can create (serve the "
         "auth service from a namespace this stack owns, or route with ingressNginx)"],
    ),
    "a readiness probe on an undeclared port": (
        lambda config: config["services"]["forge"]["probes"]["readiness"]["httpGet"].update({"port": "web"}),
        ["services.forge.probes.readiness.httpGet.port: 'web' is not a port the container declares (ports: "
         "['http']; name one of them, or add it under services.forge.ports)"],
    ),
    "a liveness probe of a single writer on an undeclared port": (
        lambda config: config["services"]["sol"]["probes"]["liveness"]["httpGet"].update({"port": "healthz"}),
        ["services.sol.probes.liveness.httpGet.port: 'healthz' is not a port the container declares (ports: "
         "['health']; name one of them, or add it under services.sol.ports)"],
    ),
    "egress into a namespace the stack owns": (
        lambda config: config["services"]["sol"]["egress"].append(
            {"name": "forge", "namespace": "forge", "ports": [3000]}),
        ["services.sol.egress[3].namespace: 'forge' is a namespace this stack owns, whose default deny refuses "
         "this traffic at the other end (use talksTo: {service: <name>, port: <port>} for a workload there "
         "(['forge']), which allows both ends; or declare the pods under namespaces.forge.unmanagedPods)"],
    ),
    "egress into an owned namespace, to pods that are not the unmanaged ones": (
        lambda config: config["services"]["sol"]["egress"][0].update({"podLabels": {"app.kubernetes.io/name": "x"}}),
        ["services.sol.egress[0].namespace: 'matrix' is a namespace this stack owns, whose default deny refuses "
         "this traffic at the other end (use talksTo: {service: <name>, port: <port>} for a workload there "
         "(['sol']), which allows both ends; or declare the pods under namespaces.matrix.unmanagedPods)"],
    ),
    "two writers of one claim": (
        lambda config: config["services"]["chat"]["data"].update({"claimName": "forge-data"})
        or config["services"]["chat"].update({"namespace": "forge"})
        or config["routing"]["routes"]["chat"]["forwardAuth"].update(
            {"url": "http://chat.forge.svc.cluster.local:8080/auth/verify"}),
        ["services.forge.data.claimName: 'forge-data' in namespace 'forge' is already the claim of services.chat; "
         "a claim has exactly one writer (give this one its own claimName)"],
    ),
    "a CronJob name over 52 characters": (
        _add_workload("memql-nightly-report-of-every-role-and-every-region-x56z",
                      {"kind": "cronJob", "namespace": "memql", "schedule": "@daily", "resources": RESOURCES}),
        ["services.memql-nightly-report-of-every-role-and-every-region-x56z: "
         "'memql-nightly-report-of-every-role-and-every-region-x56z' gives the CronJob name "
         "'memql-nightly-report-of-every-role-and-every-region-x56z', which is 56 characters, over the limit of 52 "
         "for a CronJob name (the controller appends 11 characters to name each Job, itself at most 63); the API "
         "server refuses it (shorten 'memql-nightly-report-of-every-role-and-every-region-x56z' to at most 52 "
         "characters)"],
    ),
    "a migration Job name over 63 characters": (
        _rename_identity("memql-identity-and-sessions-of-every-region"),
        ["services.memql-identity-and-sessions-of-every-region: 'memql-identity-and-sessions-of-every-region' "
         "gives the migration Job name 'memql-identity-and-sessions-of-every-region-migrate-000000000000', which "
         "is 64 characters, over the limit of 63 for a Job name (it becomes the job-name label of its pods); the "
         "API server refuses it (shorten 'memql-identity-and-sessions-of-every-region' to at most 42 characters)"],
    ),
    "migration pod labels and selector values over 63 characters": (
        _rename_identity("memql-identity-and-sessions-of-every-region-and-tenant-x"),
        ["services.memql-identity-and-sessions-of-every-region-and-tenant-x: "
         "'memql-identity-and-sessions-of-every-region-and-tenant-x' gives the migration pods' label "
         "app.kubernetes.io/name (a NetworkPolicy selector value) "
         "'memql-identity-and-sessions-of-every-region-and-tenant-x-migrate', which is 64 characters, over the "
         "limit of 63 for a label value; the API server refuses it (shorten "
         "'memql-identity-and-sessions-of-every-region-and-tenant-x' to at most 55 characters)",
         "services.memql-identity-and-sessions-of-every-region-and-tenant-x: "
         "'memql-identity-and-sessions-of-every-region-and-tenant-x' gives the migration Job name "
         "'memql-identity-and-sessions-of-every-region-and-tenant-x-migrate-000000000000', which is 77 characters, "
         "over the limit of 63 for a Job name (it becomes the job-name label of its pods); the API server refuses "
         "it (shorten 'memql-identity-and-sessions-of-every-region-and-tenant-x' to at most 42 characters)"],
    ),
    "an egress rule name that makes an annotation key over 63 characters": (
        lambda config: config["services"]["memql-bff"]["egress"][0].update(
            {"name": "managed-database-of-the-memory-nodes-in-tiger"}),
        ["services.memql-bff.egress[0].name: 'managed-database-of-the-memory-nodes-in-tiger' gives the annotation "
         "key 'platform/egress-managed-database-of-the-memory-nodes-in-tiger-any-address', which has a name part of "
         "64 characters, over the limit of 63; the API server refuses it (shorten "
         "'managed-database-of-the-memory-nodes-in-tiger' to at most 44 characters)"],
    ),
    "a Service name starting with a digit": (
        _add_workload("1st-api", {"kind": "replicated", "namespace": "memql", "resources": RESOURCES,
                                  "ports": [{"name": "http", "containerPort": 8080}]}),
        ["services.1st-api: '1st-api' gives the Service name '1st-api', which must start with a letter (a Service "
         "name is a DNS-1035 label); the API server refuses it (rename '1st-api')"],
    ),
    "two ports of one name": (
        lambda config: config["services"]["forge"]["ports"].append({"name": "http", "containerPort": 1024}),
        ["services.forge.ports: name 'http' is used by two ports; each port needs its own name (the API server "
         "refuses the Deployment and the Service)"],
    ),
    "two ports of one number": (
        lambda config: config["services"]["forge"]["ports"].append({"name": "metrics", "containerPort": 3000}),
        ["services.forge.ports: containerPort 3000 is used by two ports; each port needs its own containerPort "
         "(the API server refuses the Deployment and the Service)"],
    ),
    "a port name of digits only": (
        lambda config: config["services"]["forge"]["ports"].append({"name": "8443", "containerPort": 8443}),
        ["services.forge.ports[1].name: '8443' is not a port name (it must contain at least one letter); e.g. "
         "http, mesh, health"],
    ),
    "a port name with a double hyphen": (
        lambda config: config["services"]["forge"]["ports"].append({"name": "git--ssh", "containerPort": 2222}),
        ["services.forge.ports[1].name: 'git--ssh' is not a port name (lowercase letters, digits and single '-' "
         "between them); e.g. http, mesh, health"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_reference_that_cannot_work_is_refused_with_its_key(case, scratch_project):
    edit, expected = CASES[case]
    bad = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "bad.yaml", edit)
    with pytest.raises(ConfigError) as raised:
        load_stack(scratch_project, "staging", bad)
    assert raised.value.problems == expected


ACCEPTED = {
    "an outside auth service declared as such": _route_auth("https://auth.example.org/verify", external=True),
    "an auth service of another team's namespace, declared": _route_auth(
        "http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth", external=True),
    "a probe on a declared port number": lambda config: config["services"]["forge"]["probes"]["readiness"][
        "httpGet"].update({"port": 3000}),
    "egress to the unmanaged pods of an owned namespace": lambda config: None,
    "a CronJob name of exactly 52 characters": _add_workload(
        "memql-nightly-report-of-every-role-and-every-regionx",
        {"kind": "cronJob", "namespace": "memql", "schedule": "@daily", "resources": RESOURCES}),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_a_reference_that_resolves_is_accepted(case, scratch_project):
    good = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "good.yaml", ACCEPTED[case])
    load_stack(scratch_project, "staging", good)


def test_two_writers_of_one_claim_render_nothing_and_leave_no_directory(scratch_project, project_root):
    _, expected = CASES["two writers of one claim"]
    bad = edit_stack_file(scratch_project / "Pulumi.staging.yaml", scratch_project / "bad.yaml",
                          CASES["two writers of one claim"][0])
    out = scratch_project / "new-parent" / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "stackctl", "render", "staging", "--config-file", str(bad), "--out", str(out)],
        cwd=project_root, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2, completed.stderr
    assert expected[0] in completed.stderr
    assert not (scratch_project / "new-parent").exists()


def test_a_failed_write_removes_the_parent_directories_it_created(tmp_path):
    from stackctl.render import RegisteredResource, RenderResult, write_render

    twice = RegisteredResource(type="kubernetes:core/v1:ConfigMap", name="a", urn="urn:a",
                               inputs={"kind": "ConfigMap", "metadata": {"name": "same", "namespace": "ns"}})
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(RuntimeError, match="two resources render to ns/ConfigMap-same.yaml"):
        write_render(RenderResult(resources=[twice, twice]), out)
    assert list(tmp_path.iterdir()) == []


def test_every_name_and_label_of_a_rendered_object_is_held_to_the_api_server_rules():
    from config_models.api_server_name_limits import manifest_name_problems

    long_value = "x" * 64
    policy = {"kind": "NetworkPolicy", "metadata": {"name": "a-egress", "namespace": "apps",
                                                    "annotations": {f"platform/egress-{'r' * 60}": "x"}},
              "spec": {"podSelector": {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In",
                                                             "values": ["a", long_value]}]},
                       "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": long_value}}}]}]}}
    assert manifest_name_problems(policy) == [
        f"NetworkPolicy apps/a-egress: metadata.annotations key 'platform/egress-{'r' * 60}' has a name part of 67 "
        "characters, over the limit of 63",
        f"NetworkPolicy apps/a-egress: spec.podSelector value app.kubernetes.io/name={long_value!r} is 64 "
        "characters, over the limit of 63 for a label value",
        f"NetworkPolicy apps/a-egress: spec.ingress[0].from.podSelector value app={long_value!r} is 64 characters, "
        "over the limit of 63 for a label value",
    ]
    cron_job = {"kind": "CronJob", "metadata": {"name": "c" * 53, "namespace": "apps"},
                "spec": {"jobTemplate": {"spec": {"template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "c" * 53}},
                    "spec": {"containers": [{"name": "app", "ports": [{"name": "web-admin-console", "containerPort": 1}]}]}}}}}}
    assert manifest_name_problems(cron_job) == [
        f"CronJob apps/{'c' * 53}: metadata.name {'c' * 53!r} is 53 characters, over the limit of 52 for a CronJob "
        "name (the controller appends 11 characters to name each Job, itself at most 63)",
        f"CronJob apps/{'c' * 53}: container 'app' port name 'web-admin-console' is 17 characters, over the limit "
        "of 15 for a port name (IANA service name)",
    ]
    service = {"kind": "Service", "metadata": {"name": "9api", "namespace": "apps"},
               "spec": {"selector": {"app.kubernetes.io/name": "9api"}, "ports": [{"name": "http", "port": 80}]}}
    assert manifest_name_problems(service) == [
        "Service apps/9api: metadata.name '9api' must start with a letter (a Service name is a DNS-1035 label)"]


def test_the_real_stacks_render_within_the_limits(rendered):
    from config_models.api_server_name_limits import manifest_name_problems

    for stack, (result, _) in rendered.items():
        documents = [resource.inputs for resource in result.resources if resource.type.startswith("kubernetes:")]
        assert len(documents) > 50, stack
        assert [problem for document in documents for problem in manifest_name_problems(document)] == []

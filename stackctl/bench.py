"""`stackctl bench`: render time of the components against the bare SDK, in one run.

For the staging stack and for generated stacks of N copies of the Sol service
(each in its own namespace, with its claim, ConfigMap, Deployment and Vault
wiring), it times the program under the mock runtime, then registers the very
same objects (the recorded type, name and inputs of every resource) directly
through pulumi-kubernetes / pulumi-vault classes under the same mocks. The
ratio of the two is the components' overhead; times per resource show whether
growth is linear. Each figure is the best of `--repeat` runs, because this is
a shared, noisy machine.
"""
from __future__ import annotations

import argparse
import time
from typing import Any, Callable

from stackctl.output_formats import plural
from stackctl.render import PROJECT_ROOT, RegisteredResource, record_resources


def generated_stack_values(base: dict[str, Any], count: int, service_name: str = "sol") -> dict[str, Any]:
    """`count` copies of one service of the base stack (Sol), each renamed into its own namespace."""
    service = base["services"][service_name]
    values = {key: value for key, value in base.items()
              if key not in ("services", "namespaces", "release", "routing")}
    values["namespaces"], values["services"] = {}, {}
    release = dict(base["release"])
    # The images every copy shares (Sol's init container, its backup sidecar).
    images = {name: release["images"][name] for name in ("busybox", "litestream") if name in release["images"]}
    for index in range(count):
        name = f"{service_name}{index:03d}"
        copy = dict(service)
        copy["namespace"] = name
        copy["data"] = {**service["data"], "claimName": f"{name}-data"}
        copy["configFiles"] = {**service["configFiles"], "configMapName": f"{name}-config"}
        secrets = {}
        for secret_name, source in service["secrets"].items():
            secrets[secret_name] = {"vault": {**source["vault"], "path": name}}
        copy["secrets"] = secrets
        values["namespaces"][name] = {}
        values["services"][name] = copy
        images[name] = release["images"][service_name]
    release["images"] = images
    values["release"] = release
    return values


def _bare_constructor(resource_type: str) -> Callable[..., Any]:
    import pulumi_azure_native as azure_native
    import pulumi_kubernetes as k8s
    import pulumi_vault as vault

    builtins = {
        "kubernetes:core/v1:Namespace": k8s.core.v1.Namespace,
        "kubernetes:core/v1:PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
        "kubernetes:core/v1:ConfigMap": k8s.core.v1.ConfigMap,
        "kubernetes:core/v1:ServiceAccount": k8s.core.v1.ServiceAccount,
        "kubernetes:core/v1:Service": k8s.core.v1.Service,
        "kubernetes:apps/v1:Deployment": k8s.apps.v1.Deployment,
        "kubernetes:networking.k8s.io/v1:Ingress": k8s.networking.v1.Ingress,
        "kubernetes:networking.k8s.io/v1:NetworkPolicy": k8s.networking.v1.NetworkPolicy,
        "kubernetes:core/v1:Secret": k8s.core.v1.Secret,
        "kubernetes:batch/v1:Job": k8s.batch.v1.Job,
        "kubernetes:batch/v1:CronJob": k8s.batch.v1.CronJob,
        "kubernetes:policy/v1:PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": k8s.autoscaling.v2.HorizontalPodAutoscaler,
        "kubernetes:storage.k8s.io/v1:StorageClass": k8s.storage.v1.StorageClass,
        "vault:index/policy:Policy": vault.Policy,
        "vault:kubernetes/authBackendRole:AuthBackendRole": vault.kubernetes.AuthBackendRole,
        "azure-native:containerservice:AgentPool": azure_native.containerservice.AgentPool,
        "azure-native:containerservice:ManagedCluster": azure_native.containerservice.ManagedCluster,
        "azure-native:keyvault:Vault": azure_native.keyvault.Vault,
        "azure-native:managedidentity:UserAssignedIdentity": azure_native.managedidentity.UserAssignedIdentity,
        "azure-native:managedidentity:FederatedIdentityCredential":
            azure_native.managedidentity.FederatedIdentityCredential,
        "azure-native:authorization:RoleAssignment": azure_native.authorization.RoleAssignment,
        "azure-native:storage:StorageAccount": azure_native.storage.StorageAccount,
        "azure-native:storage:BlobServiceProperties": azure_native.storage.BlobServiceProperties,
        "azure-native:storage:BlobContainer": azure_native.storage.BlobContainer,
    }
    if resource_type in builtins:
        return builtins[resource_type]
    if resource_type.startswith("kubernetes:"):
        return k8s.apiextensions.CustomResource
    raise KeyError(resource_type)


def _snake(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


def register_bare(resources: list[RegisteredResource]) -> None:
    """Register the recorded objects with the plain SDK classes, no components."""
    for resource in resources:
        constructor = _bare_constructor(resource.type)
        # azure-native names the parent resource `resource_name_` to avoid the Pulumi name.
        inputs = {("resource_name_" if key == "resourceName" else _snake(key)): value
                  for key, value in resource.inputs.items()}
        if constructor.__module__.startswith("pulumi_kubernetes.apiextensions"):
            constructor(resource.name, api_version=inputs.pop("api_version"), kind=inputs.pop("kind"), **inputs)
        else:
            if resource.type.startswith("kubernetes:"):
                # The typed classes set apiVersion and kind themselves; azure-native's `kind` is an input.
                inputs.pop("api_version", None)
                inputs.pop("kind", None)
            constructor(resource.name, **inputs)


def _best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    # One untimed run first: imports of the provider SDKs (azure-native takes
    # most of a second) would otherwise be charged to whichever side runs first.
    run()
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(label: str, values: dict[str, Any], repeat: int) -> dict[str, Any]:
    from components.stack import deploy_stack
    from stack_checks.load import parse_stack_config

    config, files = parse_stack_config(values, PROJECT_ROOT)
    component_seconds, result = _best_of(repeat, lambda: record_resources(lambda: deploy_stack(config, files)))
    bare_seconds, bare = _best_of(repeat, lambda: record_resources(lambda: register_bare(result.resources)))
    assert len(bare.resources) == len(result.resources)
    return {
        "label": label,
        "resources": len(result.resources),
        "component_ms": component_seconds * 1000,
        "bare_ms": bare_seconds * 1000,
        "ratio": component_seconds / bare_seconds,
        "component_us_per_resource": component_seconds * 1e6 / len(result.resources),
    }


def _positive_int(upper: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= upper:
            raise argparse.ArgumentTypeError(f"{value} is out of range (1 to {upper})")
        return value
    return parse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="benchmark the offline render against the bare SDK",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_positive_int(5000), nargs="+", default=[10, 100, 500],
                        help="numbers of generated services, 1 to 5000 (default: 10 100 500)")
    parser.add_argument("--repeat", type=_positive_int(50), default=3,
                        help="runs per figure, best kept, 1 to 50 (default: 3)")


def run(args) -> int:
    from stack_checks.load import read_stack_file

    base = read_stack_file(PROJECT_ROOT / "Pulumi.staging.yaml")
    sizes = [("staging", base)] + [(plural(count, "service"), count) for count in args.sizes]
    if getattr(args, "output", "text") == "json":
        from stackctl.output_formats import print_json

        rows = [measure(label, values if isinstance(values, dict) else generated_stack_values(base, values),
                        args.repeat) for label, values in sizes]
        print_json("bench", {"repeat": args.repeat, "rows": [{
            "label": row["label"], "resources": row["resources"], "componentMilliseconds": row["component_ms"],
            "bareMilliseconds": row["bare_ms"], "ratio": row["ratio"],
            "componentMicrosecondsPerResource": row["component_us_per_resource"]} for row in rows]})
        return 0
    # Each row is printed as soon as it is measured: the largest size takes minutes.
    print(f"{'stack':<14} {'resources':>9} {'components ms':>14} {'bare SDK ms':>12} {'ratio':>6} {'us/resource':>12}",
          flush=True)
    for label, values in sizes:
        started = time.perf_counter()
        row = measure(label, values if isinstance(values, dict) else generated_stack_values(base, values), args.repeat)
        print(f"{row['label']:<14} {row['resources']:>9} {row['component_ms']:>14.1f} {row['bare_ms']:>12.1f} "
              f"{row['ratio']:>6.2f} {row['component_us_per_resource']:>12.1f}   ({time.perf_counter() - started:.0f} s)",
              flush=True)
    return 0

"""Kubernetes objects as Pulumi registers them: type tokens, names, pod templates, selectors, scale targets.

pulumi-kubernetes registers every object with the type token
`kubernetes:<group>/<version>:<Kind>`, the core group spelled `core`
(`kubernetes:core/v1:Secret`, `kubernetes:apps/v1:Deployment`), custom
resources the same way (`kubernetes:secrets.hashicorp.com/v1beta1:VaultStaticSecret`),
and its props are the object's camelCase fields. The helpers here read the pod
template out of every workload kind and walk its containers, so each rule
checks pods the same way, whatever owns them.

Deliberately left out: component resources of the provider (`kubernetes:yaml/v2:ConfigGroup`,
`kubernetes:helm.sh/v4:Chart`, `kubernetes:kustomize/v2:Directory`: their
children are registered and checked one by one), `*List` kinds and the
server-side-apply `*Patch` kinds, which change objects someone else owns.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from .resource_properties import UNKNOWN, field, items, keys

COMPONENT_GROUPS = frozenset({"yaml", "helm.sh", "kustomize"})

# Pod template location for every built-in kind that runs pods.
_POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
WORKLOAD_KINDS = frozenset(_POD_TEMPLATE_PATHS)

# Kinds without a namespace; anything else with a Kubernetes type token is namespaced.
CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "StorageClass", "VolumeAttachment", "CSIDriver", "CSINode",
    "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "RuntimeClass",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "APIService", "IngressClass", "CertificateSigningRequest",
    "FlowSchema", "PriorityLevelConfiguration", "VolumeSnapshotClass",
    # cert-manager, External Secrets Operator
    "ClusterIssuer", "ClusterSecretStore", "ClusterExternalSecret",
})


@dataclass(frozen=True)
class KubernetesType:
    """The parts of `kubernetes:<group>/<version>:<Kind>`; `group` is `core` for the core API."""

    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return self.version if self.group == "core" else f"{self.group}/{self.version}"


@functools.lru_cache(maxsize=1024)  # every rule asks for every resource; a stack has few distinct types
def kubernetes_type(resource_type: str) -> Optional[KubernetesType]:
    """The Kubernetes object type behind a Pulumi type token; None for anything that is not an object."""
    if not resource_type.startswith("kubernetes:"):
        return None
    parts = resource_type.split(":")
    if len(parts) != 3 or "/" not in parts[1]:
        return None
    group, version = parts[1].rsplit("/", 1)
    kind = parts[2]
    if group in COMPONENT_GROUPS or kind.endswith("List") or kind.endswith("Patch"):
        return None
    return KubernetesType(group, version, kind)


def kind_of(resource_type: str, *groups: str) -> Optional[str]:
    """The Kind of a Kubernetes object type, optionally only if its group is one of `groups`."""
    parsed = kubernetes_type(resource_type)
    if parsed is None or (groups and parsed.group not in groups):
        return None
    return parsed.kind


def object_name(props: Any, fallback: str) -> str:
    """metadata.name, or the Pulumi resource name when it is auto-named or unknown at preview."""
    name = field(props, "metadata", "name")
    return name if isinstance(name, str) and name else fallback


def object_namespace(props: Any) -> Any:
    """metadata.namespace: a string, None when unset, or UNKNOWN."""
    namespace = field(props, "metadata", "namespace")
    return namespace if namespace is UNKNOWN or isinstance(namespace, str) else None


def effective_namespace(props: Any) -> Any:
    """The namespace the object lands in: metadata.namespace, `default` when unset, or UNKNOWN."""
    namespace = object_namespace(props)
    return "default" if namespace is None or namespace == "" else namespace


def subject(resource_type: str, props: Any, fallback_name: str) -> str:
    """How messages name an object: `Deployment 'matrix/sol'`, `Namespace 'matrix'`."""
    kind = kind_of(resource_type) or resource_type.rsplit(":", 1)[-1]
    name = object_name(props, fallback_name)
    namespace = object_namespace(props)
    if kind in CLUSTER_SCOPED_KINDS:
        return f"{kind} '{name}'"
    if namespace is UNKNOWN:
        return f"{kind} '<unknown>/{name}'"
    return f"{kind} '{namespace or 'default'}/{name}'"


def pod_template(resource_type: str, props: Any) -> Optional[tuple[Any, Any]]:
    """(pod metadata, pod spec) of a workload, either may be UNKNOWN; None if the kind runs no pods."""
    kind = kind_of(resource_type, "core", "apps", "batch")
    if kind not in _POD_TEMPLATE_PATHS:
        return None
    template = field(props, *_POD_TEMPLATE_PATHS[kind])
    return field(template, "metadata"), field(template, "spec")


@dataclass(frozen=True)
class ContainerEntry:
    """One container of a pod spec, with the label messages use (`container 'sol'`)."""

    label: str
    value: Any  # the container object, or UNKNOWN


_CONTAINER_LISTS = (("initContainers", "initContainer"), ("containers", "container"),
                    ("ephemeralContainers", "ephemeralContainer"))


def containers(pod_spec: Any, include_ephemeral: bool = True) -> Iterator[ContainerEntry]:
    """Every container, init and (unless `include_ephemeral` is false) ephemeral ones included.

    Ephemeral (debug) containers have no resources or root-filesystem
    settings of their own, so rules about those leave them out.

    An unknown pod spec or container list yields one entry whose value is
    UNKNOWN, so each rule reports its checks as unknown instead of skipping them.
    """
    if pod_spec is UNKNOWN:
        yield ContainerEntry("containers", UNKNOWN)
        return
    for list_name, label in _CONTAINER_LISTS:
        if list_name == "ephemeralContainers" and not include_ephemeral:
            continue
        container_list = field(pod_spec, list_name)
        if container_list is UNKNOWN:
            yield ContainerEntry(list_name, UNKNOWN)
            continue
        for index, container in enumerate(items(container_list)):
            name = field(container, "name")
            yield ContainerEntry(f"{label} '{name}'" if isinstance(name, str) else f"{label} #{index}", container)


def effective_security_context(container: Any, pod_spec: Any, *path: str) -> Any:
    """A securityContext field as the kubelet applies it: the container's value, else the pod's."""
    value = field(container, "securityContext", *path)
    if value is None:
        return field(pod_spec, "securityContext", *path)
    return value


def claim_names(pod_spec: Any) -> list[Any]:
    """claimName of every persistentVolumeClaim volume (UNKNOWN for unknown ones)."""
    names = []
    for volume in items(field(pod_spec, "volumes")):
        claim = field(volume, "persistentVolumeClaim")
        if volume is UNKNOWN or claim is UNKNOWN:
            names.append(UNKNOWN)
        elif claim is not None:
            names.append(field(claim, "claimName"))
    return names


def selector_matches(selector: Any, labels: Any) -> Any:
    """Whether a LabelSelector selects `labels`: True, False, or UNKNOWN.

    An empty selector selects everything and a missing one nothing (the
    policy/v1 PodDisruptionBudget semantics).
    """
    if selector is UNKNOWN or labels is UNKNOWN:
        return UNKNOWN
    if selector is None:
        return False
    match_labels = field(selector, "matchLabels")
    expressions = field(selector, "matchExpressions")
    if match_labels is UNKNOWN or expressions is UNKNOWN:
        return UNKNOWN
    label_map = {key: field(labels, key) for key in keys(labels)}
    for key in keys(match_labels):
        wanted = field(match_labels, key)
        if wanted is UNKNOWN or label_map.get(key) is UNKNOWN:
            return UNKNOWN
        if label_map.get(key) != wanted:
            return False
    for expression in items(expressions):
        key, operator, values = (field(expression, name) for name in ("key", "operator", "values"))
        if UNKNOWN in (expression, key, operator, values):
            return UNKNOWN
        value_set = {value for value in items(values)}
        present = key in label_map
        if operator == "In" and not (present and label_map[key] in value_set):
            return False
        if operator == "NotIn" and present and label_map[key] in value_set:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def scales(autoscaler_props: Any, resource_type: str, props: Any, fallback_name: str) -> Any:
    """Whether a HorizontalPodAutoscaler scales this object: True, False, or UNKNOWN.

    The target is matched as the HPA controller resolves it: same namespace,
    scaleTargetRef kind and name (its apiVersion is not compared: a Deployment
    is one object whichever version names it). A known difference in any of
    them is False even when another part is unknown; otherwise any unknown part
    makes the answer UNKNOWN. An object without metadata.name is matched by its
    Pulumi name, as `object_name()` reads it.
    """
    target = field(autoscaler_props, "spec", "scaleTargetRef")
    own_name = field(props, "metadata", "name")
    pairs = [
        (effective_namespace(autoscaler_props), effective_namespace(props)),
        (field(target, "kind"), kind_of(resource_type)),
        (field(target, "name"), own_name if own_name is UNKNOWN else object_name(props, fallback_name)),
    ]
    if any(UNKNOWN not in pair and pair[0] != pair[1] for pair in pairs):
        return False
    return UNKNOWN if any(UNKNOWN in pair for pair in pairs) else True

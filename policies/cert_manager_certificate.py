"""cert-manager `Certificate`s as the pack reads them: the ones a stack registers and the ones it makes cert-manager order.

A stack orders a certificate in two ways: a `cert-manager.io/v1`
`Certificate` it registers itself, or an annotation that makes cert-manager's
shims create one. ingress-shim reads `cert-manager.io/cluster-issuer`,
`cert-manager.io/issuer` or `kubernetes.io/tls-acme: "true"` on an Ingress and
creates, per `spec.tls` entry, a Certificate named after the entry's
`secretName` in the Ingress's namespace, listing the entry's hosts (an entry
without `secretName` gets none, only a warning event). gateway-shim does the
same for an annotated Gateway, per Secret its listeners reference, listing
those listeners' hostnames. `ordered_certificates()` returns both kinds, so a
rule can see every certificate the stack asks for.

Deliberately left out: `commonName` (cert-manager puts it among the names, but
Let's Encrypt certificates name their hosts in `dnsNames`), `ipAddresses`,
`uris`, and the shims' other annotations (they tune the Certificate, they do
not order one).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

from pulumi_policy import PolicyResource

from .kubernetes_resource import effective_namespace, kind_of, kubernetes_type, subject
from .resource_properties import UNKNOWN, field, items, keys

CERT_MANAGER_GROUP = "cert-manager.io"
GATEWAY_GROUP = "gateway.networking.k8s.io"
ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
ACME_ANNOTATION = "kubernetes.io/tls-acme"


def covers(dns_name: Any, host: Any) -> bool:
    """Whether a certificate's DNS name serves `host`: the same name, or a `*.` wildcard one label deep."""
    if not isinstance(dns_name, str) or not isinstance(host, str):
        return False
    if dns_name == host:
        return True
    return dns_name.startswith("*.") and "." in host and host.split(".", 1)[1] == dns_name[2:]


def is_certificate(resource_type: str) -> bool:
    return kind_of(resource_type, CERT_MANAGER_GROUP) == "Certificate"


def dns_names(props: Any) -> list[str]:
    """The known names of a Certificate's `spec.dnsNames` (an unknown one names no host)."""
    return [name for name in items(field(props, "spec", "dnsNames")) if isinstance(name, str) and name]


def issuer_annotation(props: Any) -> Any:
    """The annotation that makes a cert-manager shim order certificates for this object, None, or UNKNOWN."""
    annotations = field(props, "metadata", "annotations")
    if annotations is UNKNOWN:
        return UNKNOWN
    present = keys(annotations)
    for name in ISSUER_ANNOTATIONS:
        if name in present:
            return name
    if ACME_ANNOTATION in present:
        value = field(annotations, ACME_ANNOTATION)
        if value is UNKNOWN:
            return UNKNOWN
        if value == "true":
            return ACME_ANNOTATION
    return None


@dataclass(frozen=True)
class OrderedCertificate:
    """One certificate the stack asks for, and who asks for it.

    `identity` is the Certificate object as cert-manager would hold it
    (namespace and name; the URN and entry when either is unknown, so an
    unknown one is never merged with another). `annotation` is set for a
    shim's certificate: the annotation that orders it, or UNKNOWN when the
    owner's annotations are unknown at preview (it may order one).
    """

    identity: tuple[Any, ...]
    hosts: tuple[str, ...]
    owner: PolicyResource
    certificate_name: str  # `Certificate 'forge/forge-tls'`
    annotation: Optional[Any] = None

    @property
    def owner_subject(self) -> str:
        return subject(self.owner.resource_type, self.owner.props, self.owner.name)

    def describe(self) -> str:
        """`Certificate 'edge/x'`, or `Ingress 'forge/forge' (its ingress-shim Certificate 'forge/forge-tls')`."""
        if self.annotation is None:
            return self.certificate_name
        shim = "gateway-shim" if kind_of(self.owner.resource_type) == "Gateway" else "ingress-shim"
        return f"{self.owner_subject} (its {shim} {self.certificate_name})"


def _shim_certificate(owner: PolicyResource, annotation: Any, secret_name: Any, position: str,
                      hosts: Iterable[Any]) -> OrderedCertificate:
    namespace = effective_namespace(owner.props)
    known = isinstance(secret_name, str) and bool(secret_name) and namespace is not UNKNOWN
    identity = (namespace, secret_name) if known else (owner.urn, position)
    shown_namespace = "<unknown>" if namespace is UNKNOWN else namespace
    shown_name = secret_name if isinstance(secret_name, str) and secret_name else "<unknown>"
    return OrderedCertificate(identity, tuple(host for host in hosts if isinstance(host, str) and host), owner,
                              f"Certificate '{shown_namespace}/{shown_name}'", annotation)


def _ingress_certificates(resource: PolicyResource, annotation: Any) -> Iterator[OrderedCertificate]:
    for index, entry in enumerate(items(field(resource.props, "spec", "tls"))):
        secret_name = field(entry, "secretName")
        if secret_name is None or secret_name == "":
            continue  # ingress-shim skips an entry without a Secret to fill
        yield _shim_certificate(resource, annotation, secret_name, f"spec.tls[{index}]", items(field(entry, "hosts")))


def _gateway_certificates(resource: PolicyResource, annotation: Any) -> Iterator[OrderedCertificate]:
    # One Certificate per referenced Secret; a reference whose name is unknown stands alone.
    hosts_by_secret: dict[tuple[Any, str], list[Any]] = {}
    for index, listener in enumerate(items(field(resource.props, "spec", "listeners"))):
        if field(listener, "tls", "mode") not in (None, "Terminate", UNKNOWN):
            continue  # gateway-shim orders certificates for terminating listeners only
        hostname = field(listener, "hostname")
        for ref_index, ref in enumerate(items(field(listener, "tls", "certificateRefs"))):
            if field(ref, "kind") not in (None, "Secret", UNKNOWN) or field(ref, "group") not in (None, "", UNKNOWN):
                continue
            name = field(ref, "name")
            position = f"spec.listeners[{index}].tls.certificateRefs[{ref_index}]"
            key = (name, "") if isinstance(name, str) and name else (UNKNOWN, position)
            hosts_by_secret.setdefault(key, []).append(hostname)
    for (secret_name, position), hosts in hosts_by_secret.items():
        yield _shim_certificate(resource, annotation, secret_name, position, hosts)


def ordered_certificates(resources: Iterable[PolicyResource]) -> list[OrderedCertificate]:
    """Every certificate the stack orders: its own Certificates first, then the shims' ones, in resource order."""
    own, shims = [], []
    for resource in resources:
        parsed = kubernetes_type(resource.resource_type)  # parsed once: the pack runs on thousands of resources
        group_kind = (parsed.group, parsed.kind) if parsed is not None else None
        if group_kind == (CERT_MANAGER_GROUP, "Certificate"):
            namespace = effective_namespace(resource.props)
            name = field(resource.props, "metadata", "name")
            known = namespace is not UNKNOWN and isinstance(name, str) and bool(name)
            own.append(OrderedCertificate(
                (namespace, name) if known else (resource.urn, "metadata"), tuple(dns_names(resource.props)), resource,
                subject(resource.resource_type, resource.props, resource.name)))
        elif group_kind in (("networking.k8s.io", "Ingress"), (GATEWAY_GROUP, "Gateway")):
            annotation = issuer_annotation(resource.props)
            if annotation is None:
                continue
            shim = _ingress_certificates if group_kind[1] == "Ingress" else _gateway_certificates
            shims.extend(shim(resource, annotation))
    return own + shims


def certificate_dns_names(resources: Iterable[PolicyResource]) -> list[str]:
    """Every known DNS name of every Certificate the stack registers (not the shims' ones)."""
    return [name for resource in resources if is_certificate(resource.resource_type) for name in dns_names(resource.props)]

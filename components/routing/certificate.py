"""The environment's one TLS certificate: a cert-manager `Certificate` naming every routed host.

Routes of one host live in several namespaces (forge, chat, memql). With the
per-Ingress `cert-manager.io/cluster-issuer` annotation, cert-manager orders
one certificate per namespace for the same host, which runs into Let's
Encrypt's limit of 5 certificates per exact set of names every 7 days as
services are added. Here one `Certificate` in `routing.edgeNamespace` lists
every host once, and each implementation serves its Secret:
- ingress-nginx as its default certificate: the controller runs with
  `--default-ssl-certificate=<edgeNamespace>/<secret>`, and the Ingresses list
  their hosts under `tls` without a `secretName`, which ingress-nginx serves
  with the default certificate (and redirects HTTP to HTTPS);
- the Gateway, in the same namespace, references the Secret from its HTTPS
  listeners, so no ReferenceGrant is needed.
"""
from __future__ import annotations

from components.routing.plan import PlannedCertificate

CERTIFICATE_API_VERSION = "cert-manager.io/v1"


def build_certificate(plan: PlannedCertificate, labels: dict[str, str]) -> dict:
    return {
        "apiVersion": CERTIFICATE_API_VERSION,
        "kind": "Certificate",
        "metadata": {"name": plan.name, "namespace": plan.namespace, "labels": labels},
        "spec": {
            "secretName": plan.secret_name,
            "dnsNames": list(plan.hosts),
            "issuerRef": {"name": plan.cluster_issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        },
    }

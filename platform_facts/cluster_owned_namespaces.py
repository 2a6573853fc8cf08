"""The namespaces the cluster itself owns, which no stack may own.

A stack that owns a namespace gives it a default-deny NetworkPolicy and the
`restricted` Pod Security label. In these namespaces that cuts CoreDNS off
from every pod, and stops the system pods (kube-proxy, CSI drivers, the
cloud node manager) from being replaced. `default` has no owner at all.
The stack config adds the namespaces its platform config names (the DNS and
the ingress data planes); the policy pack reads this list and its own config.
"""
from __future__ import annotations

# kube-system, kube-public, kube-node-lease and default are created by the
# API server itself (the SystemNamespaces list in
# kubernetes/pkg/controlplane/controller/systemnamespaces).
CLUSTER_OWNED_NAMESPACES: tuple[str, ...] = ("default", "kube-node-lease", "kube-public", "kube-system")

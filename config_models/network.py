"""The config models of `network`, `services.<name>.talksTo` and `services.<name>.egress`."""
from __future__ import annotations

import ipaddress
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from config_models.base import ConfigModel
from config_models.kubernetes_names import check_dns_label


class DnsSpec(ConfigModel):
    namespace: str = Field("kube-system", description="Namespace of the cluster DNS. Default: kube-system.")
    pod_labels: dict[str, str] = Field(default_factory=lambda: {"k8s-app": "kube-dns"},
                                       description="Labels of the DNS pods. Default: k8s-app: kube-dns (AKS CoreDNS).")


class NetworkSpec(ConfigModel):
    dns: DnsSpec = Field(default_factory=DnsSpec, description="The cluster DNS. Default: AKS CoreDNS.")
    ingress_nginx_namespace: str = Field("ingress-nginx", description="Namespace of the ingress-nginx controller "
                                                                      "pods. Default: ingress-nginx.")
    gateway_data_plane_namespace: str = Field(
        "envoy-gateway-system", description="Namespace of Envoy Gateway's proxy pods. Default: envoy-gateway-system.")
    ingress_nginx_pod_labels: dict[str, str] = Field(
        default_factory=lambda: {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
        description="Labels of the controller pods (the chart's). Default: name ingress-nginx, component controller.")
    gateway_data_plane_pod_labels: dict[str, str] = Field(
        default_factory=lambda: {"app.kubernetes.io/managed-by": "envoy-gateway", "app.kubernetes.io/component": "proxy"},
        description="Labels of Envoy Gateway's proxy pods. Default: managed-by envoy-gateway, component proxy.")

    @field_validator("ingress_nginx_namespace", "gateway_data_plane_namespace")
    @classmethod
    def _namespaces(cls, value: str) -> str:
        return check_dns_label(value)


class EgressRuleSpec(ConfigModel):
    """One named destination outside the cluster."""

    name: str = Field(description="What it is, e.g. matrix-homeserver. Required.")
    cidrs: Optional[list[str]] = Field(None, description="Address ranges outside the cluster, e.g. 203.0.113.0/24. "
                                                         "One of cidrs or namespace.")
    namespace: Optional[str] = Field(None, description="A namespace inside the cluster this stack does not manage "
                                                       "workloads for. One of cidrs or namespace.")
    pod_labels: Optional[dict[str, str]] = Field(None, description="With namespace: only the pods with these "
                                                                   "labels. Default: every pod there.")
    ports: list[int] = Field(description="Destination ports. Required.")
    protocol: Literal["TCP", "UDP"] = Field("TCP", description="Default: TCP.")
    hosts: list[str] = Field(default_factory=list, description="The names behind the ranges, recorded only: a "
                                                               "NetworkPolicy cannot match names. Default: none.")
    allow_any_address: Optional[str] = Field(
        None, description="Why this rule may reach any public address (a CIDR of 0.0.0.0/0 or ::/0); required for "
                          "that in prod. Default: none.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_dns_label(value)

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, value: Optional[list[str]]) -> Optional[list[str]]:
        if value is None:
            return value
        if not value:
            raise ValueError("[] allows nothing; list at least one CIDR (e.g. 203.0.113.0/24)")
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError as error:
                raise ValueError(f"{cidr!r} is not a CIDR ({error}); e.g. 203.0.113.0/24") from None
        return value

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: list[int]) -> list[int]:
        if not value or any(not 1 <= port <= 65535 for port in value):
            raise ValueError(f"{value!r} must list ports from 1 to 65535 (an allow of every port is never derived)")
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else check_dns_label(value)

    @model_validator(mode="after")
    def _reason(self) -> "EgressRuleSpec":
        if (self.cidrs is None) == (self.namespace is None):
            raise ValueError(f"rule {self.name!r} needs exactly one of cidrs (outside the cluster) or namespace "
                             "(inside it)")
        if self.pod_labels is not None and self.namespace is None:
            raise ValueError(f"rule {self.name!r}: podLabels selects pods in a namespace; add namespace")
        if self.allow_any_address is not None and not self.allow_any_address.strip():
            raise ValueError("allowAnyAddress must give the reason, in words")
        return self

    @property
    def reaches_any_address(self) -> bool:
        return any(ipaddress.ip_network(cidr) in ANY_ADDRESS for cidr in self.cidrs or [])


class TalksToSpec(ConfigModel):
    service: str = Field(description="Name of a serving workload under `services`. Required.")
    port: str = Field("http", description="Name of one of its ports. Default: http.")


ANY_ADDRESS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))

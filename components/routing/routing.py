"""The `Routing` component: the routing plan, emitted by each implementation the stack configures."""
from __future__ import annotations

from typing import Optional

import pulumi

from components.routing.certificate import build_certificate
from components.routing.gateway_api import emit_gateway_api
from components.routing.ingress_nginx import emit_ingress_nginx
from components.routing.plan import plan_routing
from config_models.routing import RoutingSpec


class Routing(pulumi.ComponentResource):
    """Every route of the environment: its certificate and the objects of each configured implementation."""

    hosts: list[str]
    """Distinct hosts served."""

    def __init__(self, name: str, routing: RoutingSpec, services: dict, labels: dict[str, str],
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:routing:Routing", name, None, opts)
        import pulumi_kubernetes as k8s

        plan = plan_routing(routing, services)
        child = pulumi.ResourceOptions(parent=self)
        if plan.certificate is not None:
            manifest = build_certificate(plan.certificate, labels)
            k8s.apiextensions.CustomResource(
                f"{plan.certificate.name}-certificate", api_version=manifest["apiVersion"], kind=manifest["kind"],
                metadata=manifest["metadata"], spec=manifest["spec"], opts=child)
        if "ingressNginx" in routing.implementation:
            emit_ingress_nginx(plan, routing.ingress_class_name, labels, child)
        if "gatewayApi" in routing.implementation:
            emit_gateway_api(plan, routing, labels, child)
        self.hosts = sorted({route.host for route in plan.routes})
        self.register_outputs({"hosts": self.hosts})

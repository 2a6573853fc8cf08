"""Network coherence: `talksTo` names real services and ports; egress rules are named and bounded."""
from __future__ import annotations

from config_models.stack import StackConfig


def check_network(config: StackConfig) -> list[str]:
    problems = []
    for name, service in sorted(config.services.items()):
        for index, target in enumerate(service.talks_to):
            key = f"services.{name}.talksTo[{index}]"
            callee = config.services.get(target.service)
            if callee is None:
                problems.append(f"{key}.service: {target.service!r} is not a service (services: "
                                f"{sorted(config.services)})")
            elif target.port not in callee.routable_ports():
                problems.append(f"{key}.port: {target.port!r} is not a port of service {target.service!r} "
                                f"(ports: {callee.routable_ports()})")
        for index, rule in enumerate(service.egress):
            if rule.reaches_any_address and rule.allow_any_address is None and config.environment == "prod":
                problems.append(f"services.{name}.egress[{index}].cidrs: {rule.cidrs!r} reaches any public address, "
                                f"which prod refuses unless the rule {rule.name!r} says why (allowAnyAddress: "
                                "<reason>), or list the destination's ranges")
        names = [rule.name for rule in service.egress]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"services.{name}.egress: rule name {duplicate!r} is used twice (names identify rules)")
    return problems


def network_warnings(config: StackConfig) -> list[str]:
    """Outside prod, an any-address rule without a reason warns with the message prod would fail with."""
    if config.environment == "prod":
        return []
    return [f"services.{name}.egress[{index}].cidrs: {rule.cidrs!r} reaches any public address without "
            f"allowAnyAddress on rule {rule.name!r} (prod refuses this)"
            for name, service in sorted(config.services.items())
            for index, rule in enumerate(service.egress)
            if rule.reaches_any_address and rule.allow_any_address is None]

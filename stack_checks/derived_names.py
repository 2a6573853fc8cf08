"""Names the program derives from config keys pass the API server's rules (config_models.api_server_name_limits)."""
from __future__ import annotations

from config_models.api_server_name_limits import DerivedName, derived_name_problems


def check_derived_names(config) -> list[str]:
    """Config time: every workload's derived names, and the names derived from egress rules."""
    derived: list[DerivedName] = []
    for name, service in sorted(config.services.items()):
        derived += service.derived_names(name)
        for index, rule in enumerate(service.egress):
            # network_isolation records a rule's hosts and reason as annotations named after it.
            derived.append(DerivedName(f"services.{name}.egress[{index}].name", rule.name, "the annotation key",
                                       f"platform/egress-{rule.name}-any-address", "qualifiedName"))
    return derived_name_problems(derived)

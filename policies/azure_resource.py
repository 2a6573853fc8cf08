"""azure-native type tokens: `azure-native:<module>:<Resource>`, or `azure-native:<module>/<apiVersion>:<Resource>`."""
from __future__ import annotations


def is_azure_native(resource_type: str, module: str, resource: str) -> bool:
    parts = resource_type.split(":")
    return (len(parts) == 3 and parts[0] == "azure-native" and parts[2] == resource
            and parts[1].split("/", 1)[0] == module)

"""`${route.<name>.<field>}`: the public address of a route, written into a service's env and config files.

A service that builds links (Forgejo's `ROOT_URL`, chat's base path) must
serve under the same prefix and host its route gives it, in either routing
mode. Writing the address by hand means switching `routing.mode` changes the
Ingresses but not the apps. So env values (`env`, `migration.env`) and config
file contents may refer to a route instead:

| reference | subpath mode | subdomain mode |
| --- | --- | --- |
| `${route.forge.url}` | `https://platform.example.org/forge/` | `https://forge.platform.example.org/` |
| `${route.forge.host}` | `platform.example.org` | `forge.platform.example.org` |
| `${route.forge.path}` | `/forge` | `/` |

`url` always ends with `/`; the scheme is `http` when `routing.tls` is
unset. `$${` writes a literal `${`. Only `${route.` is substituted, and every
reference is checked when the config is loaded: an unknown route or field is
an error naming the key that holds it, so nothing renders with a reference
left in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from config_models.routing import RoutingSpec, route_host_and_prefix

FIELDS = ("url", "host", "path")
_REFERENCE = re.compile(r"(\$?)\$\{route\.([^}.]*)\.([^}]*)\}")


@dataclass(frozen=True)
class RouteAddress:
    url: str
    host: str
    path: str


def route_addresses(routing: Optional[RoutingSpec]) -> dict[str, RouteAddress]:
    """Route name -> its public address in the configured mode."""
    if routing is None:
        return {}

    scheme = "https" if routing.tls is not None else "http"
    addresses = {}
    for name in routing.routes:
        host, prefix = route_host_and_prefix(routing, name)
        path = prefix if prefix == "/" else prefix.rstrip("/")
        addresses[name] = RouteAddress(url=f"{scheme}://{host}{path.rstrip('/')}/", host=host, path=path)
    return addresses


def reference_problems(text: str, key: str, addresses: dict[str, RouteAddress]) -> list[str]:
    """Each unknown route or field referred to in `text`, as `<key>: <problem>`."""
    problems = []
    for match in _REFERENCE.finditer(text):
        escaped, route, field = match.groups()
        if escaped:
            continue
        if route not in addresses:
            known = sorted(addresses) or "none: routing is not configured"
            problems.append(f"{key}: {match.group(0)[len(escaped):]!r} refers to route {route!r}, which does not "
                            f"exist (routes: {known})")
        elif field not in FIELDS:
            problems.append(f"{key}: {match.group(0)[len(escaped):]!r} asks for {field!r} of route {route!r} "
                            f"(fields: {', '.join(FIELDS)})")
    return problems


def substitute(text: str, addresses: dict[str, RouteAddress]) -> str:
    """`text` with every reference replaced; call `reference_problems` first."""
    def replace(match: re.Match) -> str:
        escaped, route, field = match.groups()
        if escaped:
            return match.group(0)[1:]
        return getattr(addresses[route], field)
    return _REFERENCE.sub(replace, text)

"""Routing as components: the plan (`plan.py`, hosts, paths and certificates from `routing`),
one emitter per implementation (`ingress_nginx.py`, `gateway_api.py`, `certificate.py`), and the
`Routing` component that calls them (`routing.py`). Emitters import the plan; the plan imports no
emitter, and the emitters never import each other.
"""

"""The config models of the workload kinds: the facts every kind answers (`workload.py`), one
model per kind, and the registry of kinds a stack file may name (`kinds.py`).
"""

"""Stack checks: the rules across keys that a single model cannot see (dangling references, names
over the API server's limits, node-pool headroom, network and routing coherence, release provenance),
and `load.py`, which reads a stack file, validates it against `config_models` and runs every rule
before anything is registered. Imports `config_models` and `platform_facts`, never a component;
imported by the program, the components and `stackctl`.
"""

"""The workload kinds as components: one file per kind (single writer, replicated, cron job),
the registry that maps `services.<name>.kind` to its component (`kinds.py`), and what the kinds
share, below them (`pod_template.py`, `pod_hardening.py`, `workload_inputs.py`). A kind never
imports another kind.
"""

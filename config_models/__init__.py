"""Config models: the schema of the stack files (`Pulumi.<stack>.yaml`), as frozen pydantic models.

One module per part of the config (`stack.py` is the whole), plus the value
rules those models apply to single keys (Kubernetes names and quantities,
cron schedules, pinned digests, the API server's name limits). Rules that
span keys live in `stack_checks`, and what the config builds in `components`.
Imports only `platform_facts` and itself; every other layer may import it.
"""

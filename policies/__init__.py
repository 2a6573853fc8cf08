"""The `platform` policy pack: rules every stack of this project must pass.

Each policy lives in its own module, named after the policy (`image-pinned-by-digest`
is `image_pinned_by_digest.py`); `registry.py` lists them; `__main__.py` hands
that list to the Pulumi engine; `offline.py` runs the very same policy objects
without an engine, on rendered Kubernetes YAML or on the resources the program
registers under mocks (`stackctl policy`). It checks anyone's YAML, so it imports
nothing of the program or of stackctl, only `platform_facts` (.importlinter); `stackctl` imports it.
"""

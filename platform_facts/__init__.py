"""Plain facts both the program (`config_models/`, `stack_checks/`) and the policy pack (`policies/`) read.

Pure data and pure functions on the standard library only: the pack runs in
its own virtualenv with just the policy SDK, and the program must not depend
on the pack for facts. Each side imports from here, so the two can never
disagree on a quantity's value or a VM size's allocatable resources. The bottom
layer (.importlinter): every layer may import it, and it imports nothing of this project.
"""

"""Components: what registers resources. One Pulumi ComponentResource per concept, one per file.

`stack.deploy_stack` composes the stack: namespaces, storage classes, the
shared cloud resources, one `service.Service` per `services.<name>`, network
isolation and routing. Kinds of workload live in `workloads/` and never
import each other; routing's emitters live in `routing/` and the plan knows
none of them. Components read validated config (`config_models`) and may use
a rule of `stack_checks`; nothing below imports a component. Imported by the
program (`stack_program`) and by `stackctl` (render, bench).
"""

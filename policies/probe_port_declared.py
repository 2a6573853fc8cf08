"""A probe that names its port by name names a port the container declares.

`port: http` in an `httpGet` or `tcpSocket` probe is resolved
against the container's own `ports[].name`; a name it does not declare makes
the kubelet fail the probe every time (a liveness probe then restarts the
container for ever, a readiness probe keeps it out of every Service), and
`kubectl apply` accepts it. Checked for `livenessProbe`, `readinessProbe` and
`startupProbe` of every container, init and sidecar ones included.
Unknown at preview: an unknown probe port or port list is reported. Deliberately
left out: numeric ports (a container may listen on a port it does not
declare; declaring is documentation there) and `grpc.port`, which is numeric only.
"""
from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .kubernetes_resource import containers, pod_template, subject
from .resource_properties import UNKNOWN, describe, field, items

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HANDLERS = ("httpGet", "tcpSocket")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return
    who = subject(args.resource_type, args.props, args.name)
    for container in containers(template[1], include_ephemeral=False):
        if container.value is UNKNOWN:
            continue  # an unknown container list: its probes are other rules' business
        ports = field(container.value, "ports")
        declared = [] if ports is UNKNOWN else [field(port, "name") for port in items(ports)]
        for probe in PROBES:
            for handler in HANDLERS:
                port = field(container.value, probe, handler, "port")
                if port is None or isinstance(port, int):
                    continue
                if port is UNKNOWN or ports is UNKNOWN or UNKNOWN in declared or port not in declared:
                    names = ", ".join(repr(name) for name in declared if isinstance(name, str)) or "none"
                    report_violation(f"{who} {container.label} {probe}.{handler}.port ({describe(port)}) must name "
                                     f"a port the container declares (ports[].name: "
                                     f"{'unknown at preview' if ports is UNKNOWN else names}).")


POLICY = ResourceValidationPolicy(
    name="probe-port-declared",
    description="A probe port given by name must be a port the container declares.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)

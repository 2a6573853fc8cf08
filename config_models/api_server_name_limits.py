"""The API server's limits on names and labels, checked on the names the program derives.

The user's keys are checked as they are typed (`kubernetes_names.py`); a name
the program builds from them (`<service>-migrate-<digest>`, a CronJob's name,
a NetworkPolicy's selector values) can still be over a limit the user never
saw. Two checks, with the same rules:
- at config time, each workload's derived names (`WorkloadSpec.derived_names`,
  which every kind answers; a kind adds its own), before any resource exists;
- on every rendered manifest (`manifest_name_problems`), which catches a
  derived name no fact declares yet (render and the property test run it).

The rules are the API server's own (kubernetes/kubernetes, release 1.31):
- k8s.io/apimachinery/pkg/util/validation/validation.go: IsDNS1123Label
  (63), IsDNS1123Subdomain (253), IsDNS1035Label (63), IsValidLabelValue
  (63, `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`), IsQualifiedName (name
  part 63, prefix a DNS subdomain), IsValidPortName (IANA_SVC_NAME: 15,
  `[-a-z0-9]`, at least one letter, no `--`, no hyphen at either end);
- pkg/apis/core/validation/validation.go: ValidateServiceName is
  NameIsDNS1035Label (a Service name starts with a letter); container and
  Service port names are IsValidPortName;
- pkg/apis/batch/validation/validation.go: a CronJob name is at most
  DNS1035LabelMaxLength - 11 = 52 characters (the controller appends
  `-<minutes since epoch>` to name each Job); a Job's name becomes the
  `batch.kubernetes.io/job-name` label of its pods (ValidateGeneratedSelector),
  so it is a label value: at most 63 characters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63
PORT_NAME_MAX = 15
CRON_JOB_NAME_MAX = DNS_LABEL_MAX - 11
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PORT_NAME = re.compile(r"^[-a-z0-9]+$")


def dns_label_problem(value: str) -> Optional[str]:
    if len(value) > DNS_LABEL_MAX:
        return f"is {len(value)} characters, over the limit of {DNS_LABEL_MAX} for a DNS label"
    if not _DNS_LABEL.match(value):
        return "is not a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)"
    return None


def dns_1035_label_problem(value: str) -> Optional[str]:
    problem = dns_label_problem(value)
    if problem is None and not _DNS_1035_LABEL.match(value):
        return "must start with a letter (a Service name is a DNS-1035 label)"
    return problem


def dns_subdomain_problem(value: str) -> Optional[str]:
    if len(value) > DNS_SUBDOMAIN_MAX:
        return f"is {len(value)} characters, over the limit of {DNS_SUBDOMAIN_MAX} for a DNS subdomain"
    if not _DNS_SUBDOMAIN.match(value):
        return "is not a DNS subdomain (lowercase letters, digits, '-' and '.')"
    return None


def label_value_problem(value: str) -> Optional[str]:
    if len(value) > LABEL_VALUE_MAX:
        return f"is {len(value)} characters, over the limit of {LABEL_VALUE_MAX} for a label value"
    if not _LABEL_VALUE.match(value):
        return "is not a label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)"
    return None


def qualified_name_problem(value: str) -> Optional[str]:
    """A label or annotation key: `[prefix/]name`."""
    prefix, _, name = value.rpartition("/")
    if prefix and dns_subdomain_problem(prefix) is not None:
        return f"has the prefix {prefix!r}, which {dns_subdomain_problem(prefix)}"
    if len(name) > DNS_LABEL_MAX:
        return f"has a name part of {len(name)} characters, over the limit of {DNS_LABEL_MAX}"
    if not _QUALIFIED_NAME_PART.match(name):
        return "is not a qualified name (letters, digits, '-', '_' and '.', optionally prefixed by a DNS subdomain and '/')"
    return None


def port_name_problem(value: str) -> Optional[str]:
    if len(value) > PORT_NAME_MAX:
        return f"is {len(value)} characters, over the limit of {PORT_NAME_MAX} for a port name (IANA service name)"
    if not _PORT_NAME.match(value) or value.startswith("-") or value.endswith("-") or "--" in value:
        return "is not a port name (lowercase letters, digits and single '-' between them)"
    if not re.search(r"[a-z]", value):
        return "is not a port name (it must contain at least one letter)"
    return None


def cron_job_name_problem(value: str) -> Optional[str]:
    if len(value) > CRON_JOB_NAME_MAX:
        return (f"is {len(value)} characters, over the limit of {CRON_JOB_NAME_MAX} for a CronJob name (the "
                "controller appends 11 characters to name each Job, itself at most 63)")
    return dns_subdomain_problem(value)


def job_name_problem(value: str) -> Optional[str]:
    if len(value) > LABEL_VALUE_MAX:
        return (f"is {len(value)} characters, over the limit of {LABEL_VALUE_MAX} for a Job name (it becomes the "
                "job-name label of its pods)")
    return dns_subdomain_problem(value)


RULES: dict[str, Callable[[str], Optional[str]]] = {
    "dnsLabel": dns_label_problem,
    "serviceName": dns_1035_label_problem,
    "dnsSubdomain": dns_subdomain_problem,
    "labelValue": label_value_problem,
    "qualifiedName": qualified_name_problem,
    "portName": port_name_problem,
    "cronJobName": cron_job_name_problem,
    "jobName": job_name_problem,
}


@dataclass(frozen=True)
class DerivedName:
    """A name the program builds from a config key, and the API server's rule for it."""

    key: str
    """Key path of the config value it is built from, e.g. services.backup-report."""
    source: str
    """That value, as typed."""
    what: str
    """What the name is, e.g. `the CronJob name`."""
    value: str
    rule: str
    """A key of RULES."""


def derived_name_problems(derived: Iterable[DerivedName]) -> list[str]:
    problems = []
    for name in derived:
        problem = RULES[name.rule](name.value)
        if problem is not None:
            problems.append(f"{name.key}: {name.source!r} gives {name.what} {name.value!r}, which {problem}; the "
                            f"API server refuses it ({_fix(name)})")
    return problems


def _fix(name: DerivedName) -> str:
    """The longest typed value whose derived name passes, as the fix; or a rename when no length helps."""
    check = RULES[name.rule]
    for length in range(len(name.source) - 1, 0, -1):
        if check(name.value.replace(name.source, "a" * length, 1)) is None:
            if check(name.value.replace(name.source, "a" * len(name.source), 1)) is not None:
                return f"shorten {name.source!r} to at most {length} characters"
            break
    return f"rename {name.source!r}"


# Manifest kinds whose metadata.name has a rule other than a DNS subdomain.
_NAME_RULES = {"Service": "serviceName", "Namespace": "dnsLabel", "CronJob": "cronJobName", "Job": "jobName"}
_POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"), "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"), "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def _dig(document: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def _selector_values(selector: Any) -> list[tuple[str, str]]:
    """(key, value) of every label a selector names."""
    if not isinstance(selector, dict):
        return []
    pairs = list((selector.get("matchLabels") or {}).items())
    for expression in selector.get("matchExpressions") or []:
        pairs += [(expression.get("key", ""), value) for value in expression.get("values") or []]
    return pairs


def _label_problems(where: str, labels: Any) -> list[str]:
    problems = []
    for key, value in sorted((labels or {}).items()):
        problem = qualified_name_problem(str(key))
        if problem is not None:
            problems.append(f"{where} label key {key!r} {problem}")
        problem = label_value_problem(str(value))
        if problem is not None:
            problems.append(f"{where} label {key}={value!r} {problem}")
    return problems


def manifest_name_problems(document: dict[str, Any]) -> list[str]:
    """Every name and label of one rendered Kubernetes object that the API server would refuse."""
    kind = document.get("kind", "")
    metadata = document.get("metadata") or {}
    name = str(metadata.get("name", ""))
    subject = f"{kind} {metadata.get('namespace') + '/' if metadata.get('namespace') else ''}{name}"
    problems = []
    problem = RULES[_NAME_RULES.get(kind, "dnsSubdomain")](name)
    if problem is not None:
        problems.append(f"{subject}: metadata.name {name!r} {problem}")
    problems += [f"{subject}: {line}" for line in _label_problems("metadata.labels", metadata.get("labels"))]
    for key in sorted(metadata.get("annotations") or {}):
        problem = qualified_name_problem(str(key))
        if problem is not None:
            problems.append(f"{subject}: metadata.annotations key {key!r} {problem}")
    spec = document.get("spec") or {}
    template_path = _POD_TEMPLATE_PATHS.get(kind)
    if template_path is not None:
        template = _dig(document, template_path) or {}
        labels = _dig(template, ("metadata", "labels"))
        problems += [f"{subject}: {line}" for line in _label_problems("pod template", labels)]
        for container in [*(_dig(template, ("spec", "initContainers")) or []),
                          *(_dig(template, ("spec", "containers")) or [])]:
            for port in container.get("ports") or []:
                if "name" in port and port_name_problem(str(port["name"])) is not None:
                    problems.append(f"{subject}: container {container.get('name')!r} port name {port['name']!r} "
                                    f"{port_name_problem(str(port['name']))}")
    selectors = []
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "PodDisruptionBudget"):
        selectors.append(("spec.selector", spec.get("selector")))
    if kind == "Service":
        selectors.append(("spec.selector", {"matchLabels": spec.get("selector") or {}}))
        for port in spec.get("ports") or []:
            if "name" in port and port_name_problem(str(port["name"])) is not None:
                problems.append(f"{subject}: spec.ports name {port['name']!r} {port_name_problem(str(port['name']))}")
    if kind == "NetworkPolicy":
        selectors.append(("spec.podSelector", spec.get("podSelector")))
        for direction, peers_key in (("ingress", "from"), ("egress", "to")):
            for index, rule in enumerate(spec.get(direction) or []):
                for peer in rule.get(peers_key) or []:
                    selectors.append((f"spec.{direction}[{index}].{peers_key}.podSelector", peer.get("podSelector")))
                    selectors.append((f"spec.{direction}[{index}].{peers_key}.namespaceSelector",
                                      peer.get("namespaceSelector")))
    for where, selector in selectors:
        for key, value in _selector_values(selector):
            problem = label_value_problem(str(value))
            if problem is not None:
                problems.append(f"{subject}: {where} value {key}={value!r} {problem}")
    return problems

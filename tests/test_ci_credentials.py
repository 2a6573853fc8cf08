"""CI credentials: no stored secret, and a pull request cannot write (issue 16, item 6).

Offline checks of `.github/workflows/`, the stack files and the runbook
`docs/ci-credentials.md`; nothing here talks to GitHub, Azure or Vault. They
hold the workflows to:
- no static Vault token and no stack passphrase: Vault through JWT auth with
  the job's OIDC token, Azure through federated credentials;
- every job that writes (`pulumi up`, `destroy`, `refresh`, ...) runs only on
  a push to `main` or by hand, in the environment of its stack;
- the pull request workflow writes nothing, logs in only as the preview
  identities, and its GitHub token can only comment;
- each stack's secrets are encrypted by an `azurekeyvault://` key of its own
  environment, in a vault the stack does not manage;
- the Vault roles, Azure subjects and variables of the runbook are the ones the
  workflows ask for.
What they cannot see (the environments' branch rules, the real role bindings)
is the runbook's job.
"""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from stack_checks.load import read_stack_file

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "ci-credentials.md"
STACKS = ("staging", "prod")

PREVIEW_CLIENT_ID = "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
DEPLOY_CLIENT_ID = "${{ vars.AZURE_DEPLOY_CLIENT_ID }}"
PREVIEW_VAULT_ROLE = "platform-preview"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"

# Pulumi commands that change a stack's state or resources.
WRITE_COMMANDS = {"up", "update", "destroy", "refresh", "import", "state", "cancel"}
WRITE_STACK_COMMANDS = {"import", "rm", "rename", "change-secrets-provider", "tag"}
PULL_REQUEST_EVENTS = {"pull_request", "pull_request_target"}


# --- reading the workflows -----------------------------------------------------

def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """The `on:` block as a mapping (PyYAML reads the key `on` as the boolean True)."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {event: None for event in on}
    return dict(on or {})


def jobs(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from (workflow.get("jobs") or {}).items()


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps") or []


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).lower().startswith(action.lower() + "@")


def matrix_values(job: dict[str, Any], value: str) -> list[str]:
    """`value` once per matrix row, with `${{ matrix.<key> }}` filled in."""
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    keys = re.findall(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", value)
    if not keys:
        return [value]
    (key,) = set(keys)
    return [re.sub(r"\$\{\{\s*matrix\.\w+\s*\}\}", str(row), value) for row in matrix[key]]


def pulumi_commands(job: dict[str, Any]) -> list[str]:
    """Every pulumi command the job runs: `pulumi/actions` commands and `pulumi ...` in run scripts."""
    found = []
    for step in steps(job):
        if uses(step, "pulumi/actions"):
            found.append(str((step.get("with") or {}).get("command", "")))
        for match in re.finditer(r"\bpulumi\s+([a-z-]+)(?:\s+([a-z-]+))?", str(step.get("run", ""))):
            command, sub = match.groups()
            found.append(f"stack {sub}" if command == "stack" else command)
    return found


def writes(job: dict[str, Any]) -> list[str]:
    return [c for c in pulumi_commands(job)
            if c in WRITE_COMMANDS or (c.startswith("stack ") and c.split()[1] in WRITE_STACK_COMMANDS)]


def env_values(workflow: dict[str, Any], job: dict[str, Any], name: str) -> list[str]:
    """Every value `name` is given in the workflow's, the job's or a step's `env`."""
    blocks = [workflow.get("env") or {}, job.get("env") or {}] + [s.get("env") or {} for s in steps(job)]
    return [str(block[name]) for block in blocks if name in block]


def permissions(workflow: dict[str, Any], job: dict[str, Any]) -> dict[str, str]:
    """The job's GITHUB_TOKEN scopes: its own `permissions`, else the workflow's."""
    granted = job["permissions"] if "permissions" in job else workflow.get("permissions")
    assert isinstance(granted, dict), f"permissions must be listed scope by scope, not {granted!r}"
    return {str(scope): str(level) for scope, level in granted.items()}


def is_pull_request_workflow(workflow: dict[str, Any]) -> bool:
    return bool(PULL_REQUEST_EVENTS & set(triggers(workflow)))


def all_jobs() -> Iterator[tuple[Path, dict[str, Any], str, dict[str, Any]]]:
    for path in WORKFLOWS:
        workflow = load(path)
        for name, job in jobs(workflow):
            yield path, workflow, name, job


def where(path: Path, job_name: str) -> str:
    return f"{path.relative_to(ROOT)} job {job_name!r}"


# --- reading the runbook ---------------------------------------------------------

def runbook() -> str:
    return RUNBOOK.read_text(encoding="utf-8")


def runbook_vault_roles() -> dict[str, dict[str, Any]]:
    """`bao write auth/jwt/role/<name> - <<EOF {json} EOF` blocks, by role name."""
    pattern = re.compile(r"^ *bao write auth/jwt/role/(?P<name>[\w-]+) - <<'?EOF'?\n(?P<body>.*?)\n *EOF$", re.M | re.S)
    return {m["name"]: json.loads(textwrap.dedent(m["body"])) for m in pattern.finditer(runbook())}


def runbook_vault_policies() -> dict[str, dict[str, set[str]]]:
    """`bao policy write <name> - <<'EOF' ... EOF` blocks: policy -> path -> capabilities."""
    pattern = re.compile(r"^ *bao policy write (?P<name>[\w-]+) - <<'?EOF'?\n(?P<body>.*?)\n *EOF$", re.M | re.S)
    rule = re.compile(r'path "(?P<path>[^"]+)" \{ capabilities = \[(?P<caps>[^\]]*)\] \}')
    return {m["name"]: {r["path"]: set(re.findall(r'"(\w+)"', r["caps"])) for r in rule.finditer(m["body"])}
            for m in pattern.finditer(runbook())}


def runbook_federated_credentials() -> list[dict[str, str]]:
    """Each `az identity federated-credential create` of the runbook: identity, issuer, subject, audiences."""
    text = runbook().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if "az identity federated-credential create" not in line:
            continue
        fields = {key: re.search(rf'--{key} "?([^"\s]+)"?', line) for key in ("identity-name", "issuer", "subject", "audiences")}
        assert all(fields.values()), f"runbook: cannot read {line.strip()!r}"
        found.append({key: match[1] for key, match in fields.items()})
    return found


def subject_suffix(subject: str) -> str:
    """`${SUBJECT_PREFIX}:environment:prod` -> `environment:prod`."""
    prefix, _, rest = subject.partition(":")
    assert prefix == "${SUBJECT_PREFIX}", f"runbook: subject {subject!r} must start with ${{SUBJECT_PREFIX}}:"
    return rest


def workflow_vault_steps() -> Iterator[tuple[Path, dict[str, Any], str, dict[str, Any], dict[str, Any]]]:
    for path, workflow, name, job in all_jobs():
        for step in steps(job):
            if uses(step, "hashicorp/vault-action"):
                yield path, workflow, name, job, step


def workflow_audience() -> str:
    audiences = {str((step.get("with") or {}).get("jwtGithubAudience")) for *_, step in workflow_vault_steps()}
    assert len(audiences) == 1, f"the Vault logins must ask for one audience, not {sorted(audiences)}"
    return audiences.pop()


# --- no stored credential ----------------------------------------------------------

@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_passes_a_static_vault_token_or_the_passphrase(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"secrets\s*(\.\s*|\[\s*['\"])VAULT_TOKEN", text), \
        f"{path.name}: a static VAULT_TOKEN secret must not be used (log in with hashicorp/vault-action, method: jwt)"
    assert "PULUMI_CONFIG_PASSPHRASE" not in text, \
        f"{path.name}: stack secrets use the azurekeyvault:// provider; no passphrase (docs/ci-credentials.md)"
    workflow = load(path)
    for name, job in jobs(workflow):
        assert not env_values(workflow, job, "VAULT_TOKEN"), \
            f"{where(path, name)}: VAULT_TOKEN must come only from vault-action's exportToken"


def test_every_vault_login_trades_the_jobs_oidc_token():
    logins = list(workflow_vault_steps())
    assert logins, "no workflow logs in to Vault; the Pulumi Vault provider would have no token"
    for path, workflow, name, job, step in logins:
        inputs = step.get("with") or {}
        here = where(path, name)
        assert re.fullmatch(r"hashicorp/vault-action@[0-9a-f]{40}", step["uses"]), \
            f"{here}: pin hashicorp/vault-action by commit (it handles the write token): {step['uses']!r}"
        assert inputs.get("method") == "jwt", f"{here}: vault-action method must be jwt, not {inputs.get('method')!r}"
        assert "token" not in inputs, f"{here}: vault-action must not be given a token"
        assert inputs.get("role"), f"{here}: vault-action needs the JWT role to log in as"
        assert inputs.get("exportToken") is True, f"{here}: exportToken: true hands VAULT_TOKEN to the Pulumi Vault provider"
        assert inputs.get("jwtGithubAudience") == workflow_audience()
        assert permissions(workflow, job).get("id-token") == "write", f"{here}: vault-action's JWT login needs id-token: write"


def test_every_job_that_reaches_vault_logs_in_before_pulumi_runs():
    checked = 0
    for path, workflow, name, job in all_jobs():
        if not env_values(workflow, job, "VAULT_ADDR"):
            continue
        checked += 1
        order = [i for i, s in enumerate(steps(job)) if uses(s, "hashicorp/vault-action")]
        pulumi = [i for i, s in enumerate(steps(job)) if uses(s, "pulumi/actions")]
        assert order and pulumi and max(order) < min(pulumi), \
            f"{where(path, name)}: sets VAULT_ADDR, so it must log in with vault-action before pulumi runs"
    assert checked, "no job sets VAULT_ADDR; the Vault side of the program would never run in CI"


# --- who may write ---------------------------------------------------------------

def test_every_write_runs_only_from_main_in_an_environment():
    writers = [(path, workflow, name, job) for path, workflow, name, job in all_jobs() if writes(job)]
    assert writers, "no job runs `pulumi up`; the deploy workflow is missing"
    for path, workflow, name, job in writers:
        here = where(path, name)
        events = triggers(workflow)
        assert set(events) <= {"push", "workflow_dispatch"}, \
            f"{here}: runs {writes(job)} and is triggered by {sorted(events)}; only push to main or workflow_dispatch may write"
        if "push" in events:
            push = events["push"] or {}
            assert push.get("branches") == ["main"] and not ({"tags", "branches-ignore", "paths"} & set(push)), \
                f"{here}: writes on push, so the push must be to main only, not {push!r}"
        assert job.get("environment"), f"{here}: writes, so it must run in the environment of its stack (environment:)"


def test_each_write_runs_in_the_environment_named_after_its_stack():
    seen = set()
    for path, workflow, name, job in all_jobs():
        if not writes(job):
            continue
        for step in steps(job):
            if uses(step, "pulumi/actions"):
                stack_names = matrix_values(job, str(step["with"]["stack-name"]))
                environments = matrix_values(job, str(job["environment"]))
                assert stack_names == environments, \
                    f"{where(path, name)}: stack {stack_names} must run in environment {stack_names}, not {environments}"
                seen.update(stack_names)
    assert seen == set(STACKS), f"the deploy jobs update {sorted(seen)}, expected every stack {sorted(STACKS)}"


def test_pull_request_workflows_never_write():
    pull_request_workflows = [path for path in WORKFLOWS if is_pull_request_workflow(load(path))]
    assert pull_request_workflows, "no workflow runs on pull requests; the preview workflow is missing"
    for path in pull_request_workflows:
        workflow = load(path)
        assert "pull_request_target" not in triggers(workflow), \
            f"{path.name}: pull_request_target runs a pull request's code with the base repository's write token"
        for name, job in jobs(workflow):
            here = where(path, name)
            assert not writes(job), f"{here}: a pull request must not run {writes(job)}"
            assert all(c == "preview" for c in pulumi_commands(job) if not c.startswith("stack ")), \
                f"{here}: a pull request may only preview, it runs {pulumi_commands(job)}"
            assert "environment" not in job, \
                f"{here}: an environment would change the OIDC subject from pull_request to the environment's"


def test_pull_request_jobs_log_in_only_as_the_preview_identities():
    logins = 0
    for path, workflow, name, job in all_jobs():
        if not is_pull_request_workflow(workflow):
            continue
        here = where(path, name)
        for step in steps(job):
            if uses(step, "azure/login"):
                logins += 1
                assert step["with"]["client-id"] == PREVIEW_CLIENT_ID, \
                    f"{here}: a pull request logs in to Azure as the reader, {PREVIEW_CLIENT_ID}, " \
                    f"not {step['with']['client-id']!r}"
            if uses(step, "hashicorp/vault-action"):
                logins += 1
                assert step["with"]["role"] == PREVIEW_VAULT_ROLE, \
                    f"{here}: a pull request logs in to Vault as {PREVIEW_VAULT_ROLE!r}, not {step['with']['role']!r}"
        for value in env_values(workflow, job, "ARM_CLIENT_ID"):
            assert value == PREVIEW_CLIENT_ID, f"{here}: ARM_CLIENT_ID must be {PREVIEW_CLIENT_ID}, not {value!r}"
        text = path.read_text(encoding="utf-8")
        assert "AZURE_DEPLOY_CLIENT_ID" not in text and "platform-deploy" not in text, \
            f"{path.name}: a pull request workflow must not name a deploy identity"
    assert logins >= 2, "the preview job must log in to Azure and to Vault with the preview identities"


def test_write_jobs_log_in_as_their_environments_identities():
    for path, workflow, name, job in all_jobs():
        if not writes(job):
            continue
        here = where(path, name)
        stacks = matrix_values(job, str(job["environment"]))
        logins = {"azure": 0, "vault": 0}
        for step in steps(job):
            if uses(step, "azure/login"):
                logins["azure"] += 1
                assert step["with"]["client-id"] == DEPLOY_CLIENT_ID, \
                    f"{here}: deploys log in as the environment's contributor, {DEPLOY_CLIENT_ID}"
            if uses(step, "hashicorp/vault-action"):
                logins["vault"] += 1
                roles = matrix_values(job, str(step["with"]["role"]))
                assert roles == [f"platform-deploy-{stack}" for stack in stacks], \
                    f"{here}: the Vault role must be the environment's deploy role, not {roles}"
        assert logins == {"azure": 1, "vault": 1}, f"{here}: one Azure and one Vault login, found {logins}"
        assert env_values(workflow, job, "ARM_CLIENT_ID") == [DEPLOY_CLIENT_ID], f"{here}: ARM_CLIENT_ID"


# --- the GitHub token --------------------------------------------------------------

@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_default_permissions_only_read_contents(path):
    assert load(path).get("permissions") == {"contents": "read"}, \
        f"{path.name}: top-level permissions must be exactly contents: read; a job asks for more, for itself"


def test_pull_request_token_can_only_comment():
    for path, workflow, name, job in all_jobs():
        if not is_pull_request_workflow(workflow):
            continue
        here = where(path, name)
        granted = permissions(workflow, job)
        assert granted.get("contents", "none") in {"read", "none"}, f"{here}: contents: {granted.get('contents')}"
        comments = any(uses(s, "pulumi/actions") and (s.get("with") or {}).get("comment-on-pr") for s in steps(job))
        # Uploading SARIF to code scanning needs security-events: write, which writes code-scanning alerts only.
        uploads_sarif = any(uses(s, "github/codeql-action/upload-sarif") for s in steps(job))
        allowed = ({"id-token"} | ({"pull-requests"} if comments else set())
                   | ({"security-events"} if uploads_sarif else set()))
        written = {scope for scope, level in granted.items() if level == "write"}
        assert written <= allowed, f"{here}: a pull request's token may write only {sorted(allowed)}, it has {sorted(written)}"


def test_id_token_is_granted_exactly_to_the_jobs_that_log_in():
    for path, workflow, name, job in all_jobs():
        logs_in = any(uses(s, "azure/login") or uses(s, "hashicorp/vault-action") for s in steps(job))
        has_id_token = permissions(workflow, job).get("id-token") == "write"
        assert has_id_token == logs_in, \
            f"{where(path, name)}: id-token: write is for jobs that log in with OIDC (logs in: {logs_in})"


def test_contents_write_only_for_the_manual_promotion_branch():
    for path, workflow, name, job in all_jobs():
        if permissions(workflow, job).get("contents") != "write":
            continue
        here = where(path, name)
        assert set(triggers(workflow)) == {"workflow_dispatch"}, f"{here}: contents: write outside a by-hand workflow"
        assert not writes(job), f"{here}: a job that can push to the repository must not also run {writes(job)}"
        assert not any(uses(s, "hashicorp/vault-action") for s in steps(job)), f"{here}: contents: write with a Vault token"
        assert job.get("if") == "github.ref == 'refs/heads/main'", \
            f"{here}: runs from main only (its Azure federated credential trusts refs/heads/main)"


# --- stack secrets ----------------------------------------------------------------

KEY_VAULT_URL = re.compile(
    r"^azurekeyvault://(?P<vault>[a-z][a-z0-9-]{1,22}[a-z0-9])\.vault\.azure\.net/keys/(?P<key>[A-Za-z0-9-]+)$")


def stack_file(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("stack", STACKS)
def test_stack_secrets_use_a_key_vault_key_of_their_own_environment(stack):
    document = stack_file(stack)
    provider = document.get("secretsprovider")
    assert provider, f"Pulumi.{stack}.yaml: needs a top-level secretsprovider: azurekeyvault://... (docs/ci-credentials.md)"
    match = KEY_VAULT_URL.match(str(provider))
    assert match, f"Pulumi.{stack}.yaml: secretsprovider {provider!r} must be azurekeyvault://<vault>.vault.azure.net/keys/<key>"
    words = match["vault"].split("-")
    others = [other for other in STACKS if other != stack]
    assert stack in words and not set(others) & set(words), \
        f"Pulumi.{stack}.yaml: the key must be in {stack}'s own vault, not {match['vault']!r}"
    created = (document["config"].get("platform:azure", {}).get("keyVault", {}).get("create") or {}).get("name")
    assert match["vault"] != created, \
        f"Pulumi.{stack}.yaml: the stack-secrets key must not live in {created!r}, the vault this stack creates"
    assert "encryptionsalt" not in document, f"Pulumi.{stack}.yaml: encryptionsalt is the passphrase provider's; remove it"
    assert "secretsprovider" not in document["config"], f"Pulumi.{stack}.yaml: secretsprovider is top-level, not config"


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_provider_lines_stay_above_config(stack):
    # `pulumi stack change-secrets-provider` appends `encryptedkey:` after `config:`; the
    # end-to-end tests append keys to `config` at the end of the file (tests/e2e/e2e_support.py).
    keys = list(stack_file(stack))
    assert keys[-1] == "config", \
        f"Pulumi.{stack}.yaml: {keys[keys.index('config') + 1:]} must move above config: (beside secretsprovider:)"


def test_each_environment_has_its_own_stack_secrets_vault():
    vaults = {stack: KEY_VAULT_URL.match(str(stack_file(stack).get("secretsprovider", "")))["vault"] for stack in STACKS}
    assert len(set(vaults.values())) == len(STACKS), f"one vault per environment, found {vaults}"


@pytest.mark.parametrize("stack", STACKS)
def test_stack_config_reader_ignores_the_secrets_provider(stack):
    values = read_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    assert "secretsprovider" not in values and values["environment"] == stack


# --- the runbook and the workflows agree -------------------------------------------

def test_runbook_defines_every_vault_role_the_workflows_log_in_as():
    roles = runbook_vault_roles()
    used = {role for *_, job, step in workflow_vault_steps() for role in matrix_values(job, str(step["with"]["role"]))}
    assert used and used <= set(roles), f"docs/ci-credentials.md: no role for {sorted(used - set(roles))}"
    for name in used:
        role = roles[name]
        assert role["role_type"] == "jwt" and role.get("bound_claims_type", "string") == "string", name
        assert role["bound_audiences"] == [workflow_audience()], f"role {name}: bound_audiences must be the workflows' audience"
        assert role["token_type"] == "service", f"role {name}: the Pulumi Vault provider needs a service token (child token)"
        assert set(role["token_policies"]) <= set(runbook_vault_policies()), f"role {name}: a policy the runbook does not write"


def test_preview_role_is_bound_to_pull_requests_into_main_and_only_reads():
    role = runbook_vault_roles()[PREVIEW_VAULT_ROLE]
    claims = role["bound_claims"]
    assert claims["event_name"] == "pull_request" and claims["base_ref"] == "main"
    assert subject_suffix(claims["sub"]) == "pull_request"
    assert claims["repository"] == "${REPO}" and claims["repository_id"] == "${REPO_ID}"
    assert "environment" not in claims
    policies = runbook_vault_policies()
    for policy in role["token_policies"]:
        for path, capabilities in policies[policy].items():
            allowed = {"update"} if path == "auth/token/create" else {"read", "list"}
            assert capabilities <= allowed, f"policy {policy}: {path} grants {sorted(capabilities)} to pull requests"


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_role_is_bound_to_main_and_its_environment(stack):
    claims = runbook_vault_roles()[f"platform-deploy-{stack}"]["bound_claims"]
    assert subject_suffix(claims["sub"]) == f"environment:{stack}"
    assert claims["environment"] == stack and claims["ref"] == "refs/heads/main" and claims["event_name"] == "push"
    assert claims["repository"] == "${REPO}" and claims["repository_id"] == "${REPO_ID}"


def test_deploy_policy_cannot_rewrite_the_ci_policies_or_default():
    policies = runbook_vault_policies()
    assert all(name.startswith("platform-ci-") for name in policies), sorted(policies)
    deploy = policies["platform-ci-deploy"]
    for path in ("sys/policies/acl/platform-ci-*", "sys/policy/platform-ci-*", "sys/policies/acl/default", "sys/policy/default"):
        assert deploy.get(path) == {"deny"}, f"policy platform-ci-deploy: {path} must be denied"
    assert not any(path.startswith(("auth/jwt", "sys/auth", "secret/")) for path in deploy), \
        "policy platform-ci-deploy: no access to the JWT mount, auth methods or secret values"


def test_runbook_federated_subjects_match_the_jobs():
    subjects: dict[str, set[str]] = {}
    for credential in runbook_federated_credentials():
        assert credential["issuer"] in {"$ISSUER", GITHUB_ISSUER}, credential
        assert credential["audiences"] == TOKEN_EXCHANGE_AUDIENCE, credential
        subjects.setdefault(credential["identity-name"], set()).add(subject_suffix(credential["subject"]))
    expected = {"id-platform-preview": {"pull_request", "ref:refs/heads/main"}}
    expected.update({f"id-platform-deploy-{stack}": {f"environment:{stack}"} for stack in STACKS})
    assert subjects == expected


def test_runbook_names_every_variable_the_workflows_read():
    text = runbook()
    used = {name for path in WORKFLOWS for name in re.findall(r"vars\.([A-Z0-9_]+)", path.read_text(encoding="utf-8"))}
    assert used and all(name in text for name in used), \
        f"docs/ci-credentials.md must say how to set {sorted(n for n in used if n not in text)}"


def test_role_assignment_condition_covers_the_roles_the_program_assigns():
    condition = re.search(r'^ *CONDITION="(?P<condition>[^"]+)"', runbook(), re.M)
    assert condition, "docs/ci-credentials.md: the CONDITION of the deploy identity's role assignment writer"
    guid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    # One clause for roleAssignments/write (@Request), one for roleAssignments/delete (@Resource).
    clauses = re.findall(r"(@Request|@Resource)\[Microsoft\.Authorization/roleAssignments:RoleDefinitionId\] "
                         r"ForAnyOfAnyValues:GuidEquals \{([^}]*)\}", condition["condition"])
    assert sorted(source for source, _ in clauses) == ["@Request", "@Resource"], \
        f"the condition must constrain both creating (@Request) and deleting (@Resource) assignments: {clauses}"
    assigned = {m for path in (ROOT / "components").rglob("*.py")
                for m in re.findall(rf'^[A-Z_]+_ROLE = "({guid})"', path.read_text(encoding="utf-8"), re.M)}
    assert assigned, "components/: no role definition constants (*_ROLE = \"<guid>\") found"
    for source, guids in clauses:
        in_clause = set(re.findall(guid, guids))
        assert in_clause == assigned, \
            f"{source}: the deploy identity may assign {sorted(in_clause)}, the program assigns {sorted(assigned)}"

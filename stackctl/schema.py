"""`stackctl schema`: the JSON Schema of the stack files and the config reference, from the pydantic models.

The models in `components/` are the one definition of `platform:*`; this verb
derives from them, never the other way round:

* `schemas/pulumi-stack.schema.json`: a JSON Schema (2020-12) of a whole
  `Pulumi.<stack>.yaml` (the `config:` map with every `platform:` key, the
  provider namespaces left open, and Pulumi's own top-level keys). The stack
  files name it on their first line (`# yaml-language-server: $schema=...`),
  so an editor with the YAML language server completes and checks them.
* `docs/config.md`: every key with its type, default, description and what
  prod requires (PROD_REQUIREMENTS; each is also enforced by a check the
  tests trigger).

`stackctl schema` prints the JSON Schema; `--markdown` prints the reference;
`--write` writes both files; `--check` exits 1 (a finding) when either is not
what the models generate now. The tests run the same comparison.

Left out on purpose: the checks that span several keys (stack_checks/) are
not expressible in JSON Schema; the editor catches shape errors, the render
catches the rest.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = Path("schemas") / "pulumi-stack.schema.json"
REFERENCE_FILE = Path("docs") / "config.md"
# The provider namespaces a stack file may also configure (config_models.stack.PROVIDER_CONFIG_NAMESPACES).
_PULUMI_TOP_LEVEL_KEYS = {
    "secretsprovider": "How the stack's secrets are encrypted, e.g. azurekeyvault://<vault>/keys/<key>.",
    "encryptedkey": "The data key, encrypted by the secrets provider (Pulumi writes it).",
    "encryptionsalt": "The passphrase provider's salt (Pulumi writes it).",
    "environment": "Pulumi ESC environments to import.",
}

# What prod requires beyond the shape, by key path (`<name>` for any name), as
# stack_checks/ and the kinds enforce it. tests/test_stack_schema.py
# breaks each rule in the prod stack and checks the render refuses it naming the key.
PROD_REQUIREMENTS: dict[str, str] = {
    "release.registryAllowlist": "required, not empty",
    "release.promotionGate.ledger": "required (prod runs only images staging ran)",
    "services.<name>.allowWritableRootFilesystem": "must not be true",
    "services.<name>.data.backup": "required for a single writer",
    "services.<name>.replicas (replicated)": "at least 2 (or autoscaling.minReplicas at least 2)",
    "routing.tls": "required",
    "vault.address": "must start with https://",
    "vault.caCertFile": "required",
    "vault.skipTlsVerify": "must not be true",
    "azure.keyVault.create.network.publicAccess": "must not be `open`",
    "azure.cluster.nodePool.minCount": "at least 2",
}


def _config_models():
    from config_models.stack import PROJECT_NAME, PROVIDER_CONFIG_NAMESPACES, StackConfig

    return PROJECT_NAME, PROVIDER_CONFIG_NAMESPACES, StackConfig


# Shorthands a model's `mode="before"` validator accepts, which pydantic cannot see when it writes the
# schema: (model, key) -> how to build the accepted alternative from the key's own schema. The tests
# validate every stack file of the repository against the schema, so a missing entry shows.
_SHORTHANDS = {
    # routing.implementation: `ingressNginx` for `[ingressNginx]` (config_models/routing.py).
    ("RoutingSpec", "implementation"): lambda schema: schema["items"],
    # routes.<name>.requestBodySize: a number of bytes, read as a quantity (config_models/routing.py).
    ("RouteSpec", "requestBodySize"): lambda schema: {"type": "integer"},
}


def _with_shorthands(definitions: dict[str, Any]) -> dict[str, Any]:
    for (model, key), shorthand in _SHORTHANDS.items():
        properties = definitions[model]["properties"]
        declared = properties[key]
        annotations = {name: declared[name] for name in ("description", "default", "title") if name in declared}
        shape = {name: value for name, value in declared.items() if name not in annotations}
        options = shape["anyOf"] if list(shape) == ["anyOf"] else [shape]
        main = next(option for option in options if option.get("type") != "null")
        properties[key] = {**annotations, "anyOf": [*options, shorthand(main)]}
    return definitions


def stack_file_schema() -> dict[str, Any]:
    """The JSON Schema of a `Pulumi.<stack>.yaml` of this project."""
    project, provider_namespaces, model = _config_models()
    config_schema = model.model_json_schema(by_alias=True, mode="validation")
    definitions = _with_shorthands(config_schema.pop("$defs", {}))
    properties = {f"{project}:{key}": value for key, value in config_schema["properties"].items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "pulumi-stack.schema.json",
        "title": f"Pulumi.<stack>.yaml of the {project} project",
        "description": "Generated by `stackctl schema --write` from config_models/ (do not edit). "
                       "Reference: docs/config.md.",
        "type": "object",
        "properties": {
            **{key: {"type": "string", "description": text} for key, text in _PULUMI_TOP_LEVEL_KEYS.items()
               if key != "environment"},
            "environment": {"type": "array", "items": {"type": "string"},
                            "description": _PULUMI_TOP_LEVEL_KEYS["environment"]},
            "config": {
                "type": "object",
                "description": config_schema.get("description", ""),
                "properties": properties,
                "required": [f"{project}:{key}" for key in config_schema.get("required", [])],
                # Provider settings (kubernetes:context, azure-native:location, ...) are not this project's to check.
                "patternProperties": {f"^({'|'.join(provider_namespaces)}):": {}},
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
        "$defs": definitions,
    }


# --- the reference (docs/config.md) -----------------------------------------

def _resolve(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        merged = {**definitions[node["$ref"].split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
        node = merged
    return node


def _without_null(node: dict[str, Any]) -> dict[str, Any]:
    options = [option for option in node.get("anyOf", []) if option.get("type") != "null"]
    if "anyOf" in node and len(options) == 1:
        return {**{k: v for k, v in node.items() if k != "anyOf"}, **options[0]}
    return node


def _type_name(node: dict[str, Any], definitions: dict[str, Any]) -> str:
    node = _without_null(node)
    if "$ref" in node:
        return "object"
    if "enum" in node:
        return " \\| ".join(json.dumps(value) for value in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    if "oneOf" in node and all("$ref" in option for option in node["oneOf"]):
        return "one of " + ", ".join(option["$ref"].split("/")[-1] for option in node["oneOf"])
    if "anyOf" in node or "oneOf" in node:
        return " or ".join(_type_name(option, definitions) for option in node.get("anyOf", node.get("oneOf")))
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type_name(node.get('items', {}), definitions)}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"map of name -> {_type_name(node['additionalProperties'], definitions)}"
    return str(kind or "any")


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


Row = tuple[str, str, str, str, str]


def _rows(path: str, node: dict[str, Any], required: bool, definitions: dict[str, Any],
          tables: dict[str, list[Row]], table: str) -> None:
    """Add `path` and every key below it to `tables[table]`; each workload kind gets a table of its own."""
    resolved = _resolve(_without_null(node), definitions)
    description = node.get("description") or resolved.get("description") or ""
    if required:
        default = "required"
    elif "default" in node:
        default = f"`{json.dumps(node['default'])}`"
    else:
        default = "see description"
    kind = table.split("(kind `")[1].rstrip("`)") if "(kind `" in table else ""
    prod = PROD_REQUIREMENTS.get(f"{path} ({kind})", PROD_REQUIREMENTS.get(path, ""))
    tables.setdefault(table, []).append((path, _type_name(node, definitions), default, _cell(description), prod))

    def children(schema: dict[str, Any], prefix: str, into: str) -> None:
        required_keys = set(schema.get("required", []))
        for key, child in schema.get("properties", {}).items():
            _rows(f"{prefix}.{key}", child, key in required_keys, definitions, tables, into)

    if "properties" in resolved:
        children(resolved, path, table)
    elif isinstance(resolved.get("additionalProperties"), dict):
        member = resolved["additionalProperties"]
        if "oneOf" in member:
            for option in member["oneOf"]:
                kind_schema = _resolve(option, definitions)
                kind_field = kind_schema.get("properties", {}).get("kind", {})
                kind = kind_field.get("default") or kind_field.get("const") or kind_schema.get("title", "")
                children(kind_schema, f"{path}.<name>", f"{table} (kind `{kind}`)")
        else:
            children(_resolve(member, definitions), f"{path}.<name>", table)
    elif resolved.get("type") == "array":
        item = _resolve(resolved.get("items", {}), definitions)
        if "properties" in item:
            children(item, f"{path}[]", table)


def config_reference() -> str:
    """docs/config.md: one table per top-level key (and per workload kind), every nested key a row."""
    project, _, model = _config_models()
    schema = model.model_json_schema(by_alias=True, mode="validation")
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", []))
    lines = [
        "# Stack config reference",
        "",
        "<!-- Generated by `stackctl schema --write` from the pydantic models in components/; do not edit. -->",
        "",
        f"Every key is `{project}:<key>` in `Pulumi.<stack>.yaml`. A path `a.<name>.b` is key `b` of each",
        "entry of the map `a`; `a[].b` is key `b` of each item of the list `a`. *Prod requires* is what",
        "a stack with `environment: prod` must satisfy beyond the shape (the render refuses it otherwise).",
        f"The same models give the JSON Schema `{SCHEMA_FILE.as_posix()}`, which the stack files name for",
        "editors. Each workload kind of `services` has a table of its own.",
        "",
    ]
    for key, node in schema["properties"].items():
        tables: dict[str, list[Row]] = {}
        _rows(key, node, key in required, definitions, tables, f"`{key}`")
        for title, rows in tables.items():
            lines += [f"## {title}", "", "| key | type | default | description | prod requires |",
                      "| --- | --- | --- | --- | --- |"]
            lines += [f"| `{path}` | {kind} | {default} | {description} | {prod} |"
                      for path, kind, default, description, prod in rows]
            lines.append("")
    return "\n".join(lines)


def generated_files() -> dict[Path, str]:
    return {
        SCHEMA_FILE: json.dumps(stack_file_schema(), indent=2, sort_keys=True) + "\n",
        REFERENCE_FILE: config_reference(),
    }


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("schema", help="the JSON Schema of the stack files and docs/config.md, "
                                                  "from the config models",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--markdown", action="store_true", help="print docs/config.md instead of the JSON Schema")
    mode.add_argument("--write", action="store_true", help=f"write {SCHEMA_FILE} and {REFERENCE_FILE}")
    mode.add_argument("--check", action="store_true",
                      help=f"exit 1 if {SCHEMA_FILE} or {REFERENCE_FILE} is not what the models generate")


def run(args) -> int:
    from stackctl.output_formats import print_json

    root = args.root or PROJECT_ROOT
    files = generated_files()
    if args.write or args.check:
        stale = []
        for relative, text in files.items():
            path = root / relative
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            if current == text:
                continue
            stale.append(relative.as_posix())
            if args.write:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        if args.output == "json":
            print_json("schema", {"files": [relative.as_posix() for relative in files],
                                  "stale": [] if args.write else stale, "written": stale if args.write else []})
        elif args.write:
            print(f"wrote {', '.join(stale)}" if stale else "schema and reference already current")
        elif stale:
            print(f"stale: {', '.join(stale)} (regenerate with `stackctl schema --write`)")
        else:
            print(f"current: {', '.join(relative.as_posix() for relative in files)}")
        return 1 if args.check and stale else 0
    text = files[REFERENCE_FILE] if args.markdown else files[SCHEMA_FILE]
    if args.output == "json":
        print_json("schema", {"files": [relative.as_posix() for relative in files], "stale": [], "written": [],
                              "document": text})
    else:
        sys.stdout.write(text)
    return 0

"""`stackctl promote`'s work, one module per step, below the verb (`stackctl/promote.py`) that parses the flags.

A promotion reads both stack files (`stack_file`), plans the changed release
entries (`plan`), checks the source's evidence, meaning the digests it has
deployed, its soak time and its `stackctl verify` records (`evidence`), edits
the target's text (`stack_file_edit`), proves the edit changed only those
values by parsing on its own (`edit_verification`), extends the release
ledger (`ledger`), and writes every file or none (`file_writes`);
`release_promotion` runs those steps in order. The editor and its verifier
never import each other: they share only where a value sits in the text
(`release_value_spans`) and the types of `stack_file`, so a bug in the editor
cannot hide itself from the check. Only `stackctl/promote.py`, `stackctl/verify.py`
(which reads stack files through `stack_file`) and the tests import this package;
it imports `config_models/` (pinned-digest rules) and never the other verbs.
"""

"""YAML from files staff upload, read without anchors and aliases.

A 426-byte front matter can expand to megabytes through aliases (the "billion
laughs"); nothing a document or manifest needs uses them, so a file that does
is refused instead of expanded. libyaml's parser does the reading when it is
there (about 8× faster than PyYAML's own, which matters for the evaluation sets
and large manifests); the alias check then walks its events before the load.
"""

from __future__ import annotations

import yaml


class AliasRefused(ValueError):
    """The YAML uses an alias (*name), which uploaded files may not."""


_MESSAGE = "YAML aliases (*name) are not allowed in uploaded files"


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):  # noqa: D102 (yaml's hook)
        if self.check_event(yaml.AliasEvent):
            raise AliasRefused(_MESSAGE)
        return super().compose_node(parent, index)


def load(text: str):
    """Like yaml.safe_load, but refuses aliases."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
    if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=fast)):
        raise AliasRefused(_MESSAGE)
    return yaml.load(text, Loader=fast)  # noqa: S506 (libyaml's safe loader)

"""YAML from files staff upload, read without anchors and aliases.

A 426-byte front matter can expand to megabytes through aliases (the "billion
laughs"); nothing a document or manifest needs uses them, so a file that does
is refused instead of expanded.
"""

from __future__ import annotations

import yaml


class AliasRefused(ValueError):
    """The YAML uses an alias (*name), which uploaded files may not."""


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):  # noqa: D102 (yaml's hook)
        if self.check_event(yaml.AliasEvent):
            raise AliasRefused("YAML aliases (*name) are not allowed in uploaded files")
        return super().compose_node(parent, index)


def load(text: str):
    """Like yaml.safe_load, but refuses aliases."""
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)

"""YAML for untrusted input: plain data only, no aliases, bounded size and depth.

``yaml.safe_load`` already refuses tags that build objects, but it expands aliases, so a
"billion laughs" document of a few hundred bytes can blow up to gigabytes.  A model config
never needs anchors or aliases, so any alias is refused, as are documents over
:data:`MAX_BYTES` and nesting deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import yaml

MAX_BYTES = 64 * 1024
MAX_DEPTH = 20


class UnsafeYaml(ValueError):
    """The document is refused before it is built; the message says why."""


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise UnsafeYaml(f"line {event.start_mark.line + 1}: YAML aliases (*name) are not allowed in a model config")
        depth = getattr(self, "_depth", 0) + 1
        if depth > MAX_DEPTH:
            raise UnsafeYaml(f"nested deeper than {MAX_DEPTH} levels")
        self._depth = depth
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth - 1


def safe_load(text: str, max_bytes: int = MAX_BYTES):
    """Parse ``text`` as plain YAML data; raises :class:`UnsafeYaml` or ``yaml.YAMLError``."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        raise UnsafeYaml(f"{size:,} bytes; a model config may have at most {max_bytes:,}")
    return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass: plain data only

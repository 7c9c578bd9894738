"""YAML for untrusted input: plain data only, no aliases, no duplicate keys, bounded size, depth and integers.

``yaml.safe_load`` already refuses tags that build objects, but it expands aliases, so a
"billion laughs" document of a few hundred bytes can blow up to gigabytes.  A model config
never needs anchors or aliases, so any alias is refused, as are documents over
:data:`MAX_BYTES` and nesting deeper than :data:`MAX_DEPTH`.

Two more things PyYAML does silently are refused here, each with its line number:

- a key given twice in one mapping (PyYAML keeps the last one, so ``batch_size: 8`` followed
  later by ``batch_size: 4096`` would run with a value the author may not have meant);
- an integer literal longer than :data:`MAX_INT_DIGITS` characters: no config value needs
  one, and past 4,300 digits Python's int() raises a bare ValueError from inside the parser.
"""

from __future__ import annotations

import collections.abc

import yaml

MAX_BYTES = 64 * 1024
MAX_DEPTH = 20
MAX_INT_DIGITS = 40  # 2**128 has 39 digits; every integer field of the schema is far below that

_MERGE_TAG = "tag:yaml.org,2002:merge"


class UnsafeYaml(ValueError):
    """The document is refused before it is built; the message says why."""


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            first_line: dict[object, int] = {}
            for key_node, _value in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=False)
                if not isinstance(key, collections.abc.Hashable):
                    continue  # the base constructor refuses it with its own message
                line = key_node.start_mark.line + 1
                if key in first_line:
                    raise UnsafeYaml(
                        f"line {line}: duplicate key {_short(key)} (first given on line {first_line[key]}); give each key once"
                    )
                first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def _bounded_int(loader: _NoAliasLoader, node: yaml.ScalarNode) -> int:
    if len(node.value) > MAX_INT_DIGITS:
        raise UnsafeYaml(
            f"line {node.start_mark.line + 1}: an integer of {len(node.value):,} characters; "
            f"a model config needs none longer than {MAX_INT_DIGITS}"
        )
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_NoAliasLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)


def safe_load(text: str, max_bytes: int = MAX_BYTES):
    """Parse ``text`` as plain YAML data; raises :class:`UnsafeYaml` or ``yaml.YAMLError``."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        raise UnsafeYaml(f"{size:,} bytes; a model config may have at most {max_bytes:,}")
    return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass: plain data only

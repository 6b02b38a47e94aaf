"""What the JSON and YAML parsers build from a request file, so that both read the same values.

A request file is reviewed as text, so a value must be what the reviewer reads. JSON guarantees
that; YAML 1.1 (PyYAML's) does not: ``0600`` is octal 384, ``10:00`` is base 60 (600),
``1_000``, ``+5``, ``0x1F`` and ``0b11`` are numbers too. Such a plain scalar is kept as
written (:class:`YamlNumber`), which no field of the model accepts: it is reported with the
field, the rule and the fix, like any value of the wrong type, once here for every field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
"""A number as JSON writes one (RFC 8259): the only spelling a YAML request file may use."""


class Duplicates(dict):
    """A mapping read from a document that remembers the keys it saw more than once.

    JSON and YAML parsers would keep the last value silently; the loaders build this instead
    and the record that reads it reports each repeated key where it occurred.
    """

    def __init__(self, pairs: Sequence[tuple[Any, Any]] = ()) -> None:
        super().__init__()
        self.repeated: list[str] = []
        for key, value in pairs:
            if key in self and str(key) not in self.repeated:
                self.repeated.append(str(key))
            self[key] = value


@dataclass(frozen=True)
class YamlNumber:
    """A plain YAML scalar that YAML 1.1 reads as a number but JSON would not read as one."""

    text: str
    """As written in the file."""
    read_as: int | float
    """What YAML 1.1 makes of it (``0600``: 384), for the message."""

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def load_yaml(text: str, name: str) -> Any:
    """The document, with :class:`Duplicates` for every mapping and :class:`YamlNumber` for
    every number not written as JSON writes it; raises ``yaml.YAMLError`` (with the line) for
    a malformed document, including a mapping key that cannot be a key (a list, a mapping).
    ``name`` is the file the marks name (instead of ``<unicode string>``)."""
    loader = _Loader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, building :class:`Duplicates` (repeated keys are reported) and
    :class:`YamlNumber`."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Duplicates:
    loader.flatten_mapping(node)
    pairs = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            # As SafeLoader's own mapping constructor reports it (with both lines), rather than
            # the TypeError (unhashable type) building the mapping would raise.
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found a {'mapping' if isinstance(key, dict) else type(key).__name__} as a key, "
                "where a key is a string",
                key_node.start_mark,
            ) from None
        pairs.append((key, loader.construct_object(value_node, deep=True)))
    return Duplicates(pairs)


def _as_json_reads(
    construct: Callable[[yaml.SafeLoader, yaml.ScalarNode], int | float],
) -> Callable[[yaml.SafeLoader, yaml.ScalarNode], int | float | YamlNumber]:
    def constructor(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | float | YamlNumber:
        value = construct(loader, node)
        return value if JSON_NUMBER.fullmatch(node.value) else YamlNumber(node.value, value)

    return constructor


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _as_json_reads(yaml.SafeLoader.construct_yaml_int))
_Loader.add_constructor(
    "tag:yaml.org,2002:float", _as_json_reads(yaml.SafeLoader.construct_yaml_float)
)

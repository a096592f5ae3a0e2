"""JSON and XML text exactly as the standard library writes it, written fast.

``json.dumps(..., indent=2)`` runs json's Python encoder (a generator a level), and
ElementTree builds an object a node before it writes a character: for the conference
files of 10,000 events that took seconds. These write the same characters directly;
tests hold them to ``json.dumps`` and to ElementTree (``ET.indent`` then ``tostring``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

#: A string as ``json.dumps(..., ensure_ascii=False)`` writes it (json's own C function).
_json_string = json.encoder.encode_basestring


def json_texts(value: Any) -> tuple[str, str]:
    """``json.dumps(value, ensure_ascii=False)`` compact (``separators=(",", ":")``) and with
    ``indent=2``, written together: each string is encoded once for both."""
    compact: list[str] = []
    indented: list[str] = []
    _write_json(value, compact, indented, "\n")
    return "".join(compact), "".join(indented)


def _write_json(value: Any, compact: list[str], indented: list[str], pad: str) -> None:
    # Appends to both lists; ``pad`` is a newline and the indentation of ``value``.
    inner = pad + "  "
    if type(value) is dict and value:
        opening, separator = "{", "{" + inner
        for key, item in value.items():
            name = _json_string(key)
            if type(item) is str:  # the most common value, written without a call
                text = _json_string(item)
                compact.append(f"{opening}{name}:{text}")
                indented.append(f"{separator}{name}: {text}")
            else:
                compact.append(f"{opening}{name}:")
                indented.append(f"{separator}{name}: ")
                _write_json(item, compact, indented, inner)
            opening, separator = ",", "," + inner
        compact.append("}")
        indented.append(pad + "}")
    elif type(value) is list and value:
        opening, separator = "[", "[" + inner
        for item in value:
            compact.append(opening)
            indented.append(separator)
            _write_json(item, compact, indented, inner)
            opening, separator = ",", "," + inner
        compact.append("]")
        indented.append(pad + "]")
    else:
        text = _json_scalar(value)
        compact.append(text)
        indented.append(text)


def _json_scalar(value: Any) -> str:
    if type(value) is str:
        return _json_string(value)
    if type(value) is int:
        return int.__repr__(value)
    if value is None or type(value) is list or type(value) is dict:  # an empty list or dict
        return "null" if value is None else "[]" if type(value) is list else "{}"
    return json.dumps(value)  # true, false, a number, or json's TypeError


# XML as ``ET.indent`` and ``ET.tostring`` lay it out: a line an element, two spaces a level,
# ``<tag />`` for an element without text or children, and ElementTree's escapes.
def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:  # most texts need none: looking is cheaper
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _attribute(value: str) -> str:
    value = _escape(value).replace('"', "&quot;")
    return value.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")


def _attributes(names: dict[str, str]) -> str:
    """The attributes of a start tag, each with a space before it."""
    return "".join([f' {name}="{_attribute(value)}"' for name, value in names.items()])


def leaf(pad: str, tag: str, text: str | None = None, **names: str) -> str:
    """The line of an element with text (or none) and no children, indented by ``pad``."""
    start = tag + _attributes(names) if names else tag
    return f"{pad}<{start}>{_escape(text)}</{tag}>" if text else f"{pad}<{start} />"


def leaves(pad: str, elements: Iterable[tuple[str, str | None]]) -> list[str]:
    """The lines of :func:`leaf` of each (tag, text), none with attributes."""
    return [f"{pad}<{tag}>{_escape(text)}</{tag}>" if text else f"{pad}<{tag} />" for tag, text in elements]


def parent(pad: str, tag: str, children: list[str], **names: str) -> list[str]:
    """The lines of an element holding ``children`` (lines indented one level deeper than ``pad``)."""
    start = tag + _attributes(names)
    return [f"{pad}<{start}>", *children, f"{pad}</{tag}>"] if children else [f"{pad}<{start} />"]


__all__ = ["json_texts", "leaf", "leaves", "parent"]

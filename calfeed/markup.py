"""JSON and XML text exactly as the standard library writes it, written fast, in parts.

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
json_string = json.encoder.encode_basestring


def json_text(value: Any, pad: str = "\n") -> list[str | bytes]:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` in pieces, every line after the first
    indented by ``pad`` (a newline and spaces): the text of a value that stands that deep in a
    larger document.

    A ``bytes`` value anywhere in ``value`` stands for JSON already written at the depth where
    it stands (an earlier ``json_text`` at that pad, encoded): it is put in as it is, so a
    document can be laid out around pieces made and kept elsewhere. Join the pieces with
    :func:`joined`.
    """
    pieces: list[str | bytes] = []
    _write_json(value, pieces, pad)
    return pieces


def joined(pieces: Iterable[str | bytes], separator: str = "") -> list[bytes]:
    """``separator.join(pieces)`` as UTF-8 parts: the text between bytes pieces joined and
    encoded once, each bytes piece kept as the same object (not copied)."""
    parts: list[bytes] = []
    text: list[str] = []
    for index, piece in enumerate(pieces):
        if index and separator:
            text.append(separator)
        if type(piece) is bytes:
            if text:
                parts.append("".join(text).encode("utf-8"))
                text = []
            parts.append(piece)
        else:
            text.append(piece)  # type: ignore[arg-type]
    if text:
        parts.append("".join(text).encode("utf-8"))
    return parts


def _write_json(value: Any, pieces: list[str | bytes], pad: str) -> None:
    # Appends the text of ``value``; ``pad`` is a newline and the indentation of ``value``.
    inner = pad + "  "
    if type(value) is dict and value:
        separator = "{" + inner
        for key, item in value.items():
            if type(item) is str:  # the most common value, written without a call
                pieces.append(f"{separator}{json_string(key)}: {json_string(item)}")
            else:
                pieces.append(f"{separator}{json_string(key)}: ")
                _write_json(item, pieces, inner)
            separator = "," + inner
        pieces.append(pad + "}")
    elif type(value) is list and value:
        separator = "[" + inner
        for item in value:
            if type(item) is str:
                pieces.append(separator + json_string(item))
            else:
                pieces.append(separator)
                _write_json(item, pieces, inner)
            separator = "," + inner
        pieces.append(pad + "]")
    elif type(value) is bytes:
        pieces.append(value)
    else:
        pieces.append(_json_scalar(value))


def _json_scalar(value: Any) -> str:
    if type(value) is str:
        return json_string(value)
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


def parent(pad: str, tag: str, children: list[str | bytes], **names: str) -> list[str | bytes]:
    """The lines of an element holding ``children`` (lines indented one level deeper than ``pad``;
    a ``bytes`` child is lines already written, kept as it is: see :func:`joined`)."""
    start = tag + _attributes(names)
    return [f"{pad}<{start}>", *children, f"{pad}</{tag}>"] if children else [f"{pad}<{start} />"]


__all__ = ["joined", "json_string", "json_text", "leaf", "leaves", "parent"]

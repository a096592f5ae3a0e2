"""Markup to plain text: HTML abstracts become paragraphs separated by blank lines.

Everything here is linear in the length of its input: schedules come from elsewhere, and the
standard library's ``HTMLParser`` takes quadratic time on text such as ``<a<a<a…`` or
``<!--<!--…`` (100,000 characters ran for minutes), so HTML is tokenized by one regular
expression whose alternatives never scan past the next ``<``.
"""

from __future__ import annotations

import html
import re

#: Tags that look like HTML markup rather than a stray '<' in plain text.
_HTML_TAG = re.compile(
    r"</?(?:p|br|a|ul|ol|li|em|strong|b|i|u|code|pre|h[1-6]|div|span|blockquote|table|tr|td|th|img|hr|sup|sub)\b"
    r"[^<>]*>",
    re.I,
)
#: One token of an HTML fragment: a comment (an unclosed one runs to the end, as in a browser),
#: a start or end tag, a run of text, or a '<' that starts no tag.
_TOKEN = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([a-zA-Z][a-zA-Z0-9]*)([^<>]*)>|[^<]+|<", re.S)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
_BLOCKS = {"p", "div", "ul", "ol", "pre", "blockquote", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "details"}
_LINES = {"br", "li", "tr", "summary"}
_SKIP = {"script", "style", "head", "title"}


def looks_like_html(text: str) -> bool:
    """True when ``text`` holds HTML tags such as ``<p>`` or ``<br>``."""
    return bool(_HTML_TAG.search(text))


class _Text:
    """The text of an HTML fragment as it is read token by token."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.skipping = 0
        self.preformatted = 0
        # Each open <a>: its href and where its text starts in parts.
        self.links: list[tuple[str | None, int]] = []

    def start(self, tag: str, attributes: str) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
            self.preformatted += tag == "pre"
        elif tag in _LINES:
            self.parts.append("\n- " if tag == "li" else "\n")
        elif tag == "a":
            found = _HREF.search(attributes)
            href = html.unescape(next(group for group in found.groups() if group is not None)) if found else None
            self.links.append((href, len(self.parts)))

    def end(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
            self.preformatted -= tag == "pre" and self.preformatted > 0
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            del self.parts[start:]
            # Keep the address when the text does not show it: the calendar is plain text.
            if href and href.startswith(("http://", "https://")) and href.rstrip("/") not in label:
                label = f"{label} ({href})" if label else href
            self.parts.append(label)

    def data(self, text: str) -> None:
        if not self.skipping:
            text = html.unescape(text)
            self.parts.append(text if self.preformatted else re.sub(r"\s+", " ", text))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: paragraphs as blank lines, list items as ``- ``, links kept.

    Args:
        markup: The HTML, e.g. a FOSDEM abstract.

    Returns:
        The text, stripped, with at most one blank line in a row.
    """
    reader = _Text()
    for token in _TOKEN.finditer(markup):
        closing, tag, attributes = token.groups()
        if tag is not None:
            if closing:
                reader.end(tag.lower())
            else:
                reader.start(tag.lower(), attributes)
        elif not token.group(0).startswith("<!--"):
            reader.data(token.group(0))
    while reader.links:  # an <a> never closed
        reader.end("a")
    text = "".join(reader.parts)
    # Whitespace outside <pre> is already one space: drop it at line starts, keep code indentation.
    lines = [re.sub(r"^ (?=\S)", "", line.rstrip()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def plain_text(text: str) -> str:
    """Tidy plain text: strip trailing spaces, runs of blank lines and the ends."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def dedent(text: str) -> str:
    """Text without the indentation that pretty-printed XML adds to every line after the first.

    ``<abstract>First line.\\n                    Second line.</abstract>``: the first line
    starts right after the tag, so only the lines after it share the printer's indentation.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rest = [line for line in lines[1:] if line.strip()]
    if not rest:
        return text
    indent = min(len(line) - len(line.lstrip(" \t")) for line in rest)
    if lines[0].strip() and lines[0][:1] in " \t":
        indent = min(indent, len(lines[0]) - len(lines[0].lstrip(" \t")))
    if not indent:
        return text
    return "\n".join([lines[0][indent:] if lines[0][:1] in " \t" else lines[0],
                      *(line[indent:] for line in lines[1:])])


__all__ = ["dedent", "html_to_text", "looks_like_html", "plain_text"]

"""Markup to plain text: HTML abstracts become paragraphs separated by blank lines."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Tags that look like HTML markup rather than a stray '<' in plain text.
_HTML_TAG = re.compile(
    r"</?(?:p|br|a|ul|ol|li|em|strong|b|i|u|code|pre|h[1-6]|div|span|blockquote|table|tr|td|th|img|hr|sup|sub)\b[^>]*>",
    re.I,
)
_BLOCKS = {"p", "div", "ul", "ol", "pre", "blockquote", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "details"}
_LINES = {"br", "li", "tr", "summary"}
_SKIP = {"script", "style", "head", "title"}


def looks_like_html(text: str) -> bool:
    """True when ``text`` holds HTML tags such as ``<p>`` or ``<br>``."""
    return bool(_HTML_TAG.search(text))


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.preformatted = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
            self.preformatted += tag == "pre"
        elif tag in _LINES:
            self.parts.append("\n- " if tag == "li" else "\n")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
            self.parts.append("\x00")  # where the link text starts

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
            self.preformatted -= tag == "pre" and self.preformatted > 0
        elif tag == "a" and self.links:
            href = self.links.pop()
            start = max(index for index, part in enumerate(self.parts) if part == "\x00")
            label = "".join(self.parts[start + 1:]).strip()
            del self.parts[start:]
            # Keep the address when the text does not show it: the calendar is plain text.
            if href and href.startswith(("http://", "https://")) and href.rstrip("/") not in label:
                label = f"{label} ({href})" if label else href
            self.parts.append(label)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self.parts.append(data if self.preformatted else re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: paragraphs as blank lines, list items as ``- ``, links kept.

    Args:
        markup: The HTML, e.g. a FOSDEM abstract.

    Returns:
        The text, stripped, with at most one blank line in a row.
    """
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    while parser.links:  # an <a> never closed
        parser.handle_endtag("a")
    text = "".join(parser.parts).replace("\x00", "")
    # Whitespace outside <pre> is already one space: drop it at line starts, keep code indentation.
    lines = [re.sub(r"^ (?=\S)", "", line.rstrip()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def plain_text(text: str) -> str:
    """Tidy plain text: strip trailing spaces, runs of blank lines and the ends."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


__all__ = ["html_to_text", "looks_like_html", "plain_text"]

"""QR codes of feed URLs: one on the page, and ``subscribe.svg`` to print on a slide or a poster.

segno writes the code (ISO/IEC 18004, no dependencies of its own, deterministic:
the same URL gives the same modules and the same bytes). Error correction level M
(15 %) survives a poster's wear and a projector's glare while keeping the code
small; the quiet zone is the standard four modules, which decoders need.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from typing import TYPE_CHECKING

from .errors import CalfeedError

if TYPE_CHECKING:
    import segno

SVG_TYPE = "image/svg+xml"
#: Modules of white around the code; decoders need four.
BORDER = 4


class QRCodeError(CalfeedError, ValueError):
    """A URL too long for any QR code."""


def _code(url: str) -> segno.QRCode:
    import segno  # only a site with a public URL draws a code: a build without one does not load it

    try:
        return segno.make_qr(url, error="m", boost_error=False)
    except segno.DataOverflowError:
        raise QRCodeError(
            f"a URL of {len(url.encode())} bytes is too long for a QR code (at most 2331 at this error correction)"
        ) from None


def check_fits(url: str) -> None:
    """Raise :class:`QRCodeError` when ``url`` does not fit in a QR code."""
    _code(url)


def qr_svg(url: str, *, caption: str | None = None) -> bytes:
    """A printable SVG: the QR code of ``url`` with the URL written under it.

    Args:
        url: What the code holds.
        caption: The text under the code (default: ``url``), so that a person who
            cannot scan can type it.

    Returns:
        A standalone SVG document (UTF-8), white background, scalable to any size.

    Raises:
        QRCodeError: The URL does not fit in a QR code.
    """
    code = _code(url)
    size = code.symbol_size(scale=1, border=BORDER)[0]
    text = url if caption is None else caption
    # About 0.6 em per character in a sans-serif face: the caption fits the code's width.
    font = min(2.0, (size - 2) / (0.6 * max(len(text), 1)))
    height = size + font * 2
    inner = code.svg_inline(scale=1, border=BORDER, dark="#000", light=None)
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {height:.3f}" '
        f'width="{size * 10}" height="{height * 10:.0f}">\n'
        f"<title>{escape(text)}</title>\n"
        f'<rect width="{size}" height="{height:.3f}" fill="#fff"/>\n'
        f"{inner}\n"
        f'<text x="{size / 2:g}" y="{size + font * 0.9:.3f}" font-family="sans-serif" font-size="{font:.3f}" '
        f'text-anchor="middle" fill="#000">{escape(text)}</text>\n'
        "</svg>\n"
    )
    return body.encode("utf-8")


def qr_inline(url: str, *, label: str) -> str:
    """The QR code of ``url`` as an inline ``<svg>`` element for an HTML page.

    Args:
        url: What the code holds.
        label: What the code is, for screen readers.

    Returns:
        Markup for the page, four pixels a module.
    """
    svg: str = _code(url).svg_inline(scale=4, border=BORDER, dark="#000", light="#fff", svgclass="qr")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label, {chr(34): "&quot;"})}" ', 1)

__all__ = ["BORDER", "SVG_TYPE", "QRCodeError", "check_fits", "qr_inline", "qr_svg"]

"""QR codes of sign-in links, drawn with segno.

segno is imported only when a code is drawn, so importing accountkit costs nothing for
shops that never print one.

Example::

    png = render(build_link("https://shop.example/card", token), format="png", scale=8)
"""

from __future__ import annotations

import io
from typing import Final, Literal

from accountkit.errors import InvalidValue

__all__ = ["MAX_QR_SCALE", "MAX_URL_LENGTH", "QR_BORDER", "render"]

MAX_URL_LENGTH: Final = 2048
"""The longest URL drawn; a code that dense no phone reads reliably."""

MAX_QR_SCALE: Final = 64
"""The largest size of one module, in pixels (PNG) or user units (SVG)."""

QR_BORDER: Final = 4
"""The quiet zone around the code, in modules: the 4 the QR standard asks for."""


def render(url: str, format: Literal["svg", "png"] = "svg", *, scale: int = 4) -> bytes:
    """Draw ``url`` as a QR code (error correction M, with the standard quiet zone).

    Args:
        url: The link to encode, as :func:`accountkit.security.tokens.build_link` made it.
        format: ``"svg"`` (an XML document) or ``"png"``.
        scale: The size of one module, 1 to 64.

    Returns:
        The image file's bytes.

    Raises:
        InvalidValue: ``url`` is not text, empty, longer than 2,048 characters or not
            plain ASCII; ``format`` is neither ``"svg"`` nor ``"png"``; or ``scale`` is not
            a whole number from 1 to 64. The message never quotes the URL.
    """
    if not isinstance(url, str) or not url:
        raise InvalidValue("Pass the link to draw as text.", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidValue(
            f"The link is longer than {MAX_URL_LENGTH} characters; shorten it.", field="url"
        )
    if not url.isascii() or not url.isprintable():
        # build_link makes ASCII links; other text would need an encoding the reader guesses.
        raise InvalidValue("The link must be plain ASCII without control characters.", field="url")
    if format not in ("svg", "png"):
        raise InvalidValue('format must be "svg" or "png".', field="format")
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_QR_SCALE:
        raise InvalidValue(f"scale must be a whole number from 1 to {MAX_QR_SCALE}.", field="scale")

    import segno

    # boost_error=False keeps level M exactly: segno would otherwise raise it where it fits.
    code = segno.make(url, error="m", micro=False, boost_error=False)
    out = io.BytesIO()
    code.save(out, kind=format, scale=scale, border=QR_BORDER)
    return out.getvalue()

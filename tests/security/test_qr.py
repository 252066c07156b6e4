"""QR codes of sign-in links: real decoding of the PNG, SVG output, bounds, lazy segno."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accountkit import FrozenClock
from accountkit.domain.users import User, UserTier
from accountkit.errors import InvalidValue
from accountkit.security.qr import MAX_URL_LENGTH, QR_BORDER, render
from accountkit.security.tokens import TokenCodec, TokenPurpose, build_link

ZBARIMG = shutil.which("zbarimg")
needs_zbarimg = pytest.mark.skipif(
    ZBARIMG is None, reason="zbarimg (Debian package zbar-tools) is not installed"
)


def decode(png: bytes, tmp_path: Path) -> str:
    """Decode a PNG with zbarimg and return the one symbol's text."""
    assert ZBARIMG is not None
    path = tmp_path / "code.png"
    path.write_bytes(png)
    result = subprocess.run(
        [ZBARIMG, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8").removesuffix("\n")


def card_link() -> str:
    """A printed-card login link with a real token."""
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    user = User(id="usr_1", tier=UserTier.BLANK, created_at=clock.now(), updated_at=clock.now())
    token = TokenCodec(["key-0123456789"], clock=clock).issue(
        user, TokenPurpose.LOGIN_CARD, max_age=timedelta(days=365)
    )
    return build_link("https://shop.example/card?src=print", token)


@needs_zbarimg
@pytest.mark.parametrize("scale", [2, 4, 10])
def test_png_decodes_to_exactly_the_url(tmp_path: Path, scale: int) -> None:
    """A real decoder reads the PNG back as exactly the link drawn."""
    url = card_link()
    assert decode(render(url, "png", scale=scale), tmp_path) == url


@needs_zbarimg
def test_a_long_url_still_decodes(tmp_path: Path) -> None:
    """A link at the length limit is drawn and reads back whole."""
    url = "https://shop.example/?token=" + "x" * (MAX_URL_LENGTH - 28)
    assert len(url) == MAX_URL_LENGTH
    assert decode(render(url, "png", scale=3), tmp_path) == url


def test_png_is_a_png_with_the_quiet_zone() -> None:
    """The PNG starts with the PNG signature and its size is a whole number of modules,
    including four light modules on each side."""
    import segno

    url = card_link()
    png = render(url, "png", scale=3)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    modules = segno.make(url, error="m", micro=False, boost_error=False).symbol_size(
        scale=1, border=QR_BORDER
    )[0]
    assert width == 3 * modules


def test_error_correction_is_m() -> None:
    """The code is drawn at error correction M, never boosted."""
    import segno

    url = card_link()
    expected = segno.make(url, error="m", micro=False, boost_error=False)
    assert expected.error == "M"
    assert render(url, "svg") == _svg(expected)


def _svg(code: object) -> bytes:
    import io

    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=QR_BORDER)  # type: ignore[attr-defined]
    return out.getvalue()


def test_svg_is_an_svg_document() -> None:
    """The SVG output parses as XML with an <svg> root."""
    svg = render(card_link(), "svg", scale=5)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert b"<svg" in svg


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"url": ""}, "url"),
        ({"url": "x" * (MAX_URL_LENGTH + 1)}, "url"),
        ({"url": "https://shop.example/\u00e9"}, "url"),
        ({"url": "https://shop.example/\n"}, "url"),
        ({"url": b"https://shop.example/"}, "url"),
        ({"format": "jpeg"}, "format"),
        ({"format": "PNG"}, "format"),
        ({"scale": 0}, "scale"),
        ({"scale": 65}, "scale"),
        ({"scale": 2.5}, "scale"),
        ({"scale": True}, "scale"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], field: str) -> None:
    """Empty, too long or non-ASCII links, unknown formats and bad scales are InvalidValue."""
    arguments: dict[str, object] = {"url": "https://shop.example/", "format": "png", "scale": 4}
    arguments.update(kwargs)
    with pytest.raises(InvalidValue) as info:
        render(**arguments)  # type: ignore[arg-type]
    assert info.value.field == field
    assert "shop.example" not in info.value.message


def test_importing_qr_does_not_import_segno() -> None:
    """segno is loaded only when a code is drawn, not by importing accountkit or the module."""
    code = (
        "import sys, accountkit, accountkit.security.qr, accountkit.security.tokens\n"
        "assert 'segno' not in sys.modules, 'segno imported too early'\n"
        "accountkit.security.qr.render('https://shop.example/', 'svg')\n"
        "assert 'segno' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

"""The printable HTML pack, rendered by a real browser (Debian's headless Chromium)."""

import shutil
import struct
import subprocess
import zlib

import pytest

from tests.terminal import pack, seeded

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def png_pixels(path) -> bytes:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    idat, offset = b"", 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return zlib.decompress(idat)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_the_html_pack_renders_to_a_page_that_is_not_blank(database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the rendering does not depend on the database")
    seeded(database_url)
    page = tmp_path / "pack.html"
    page.write_text(pack(database_url, "html"))
    shot = tmp_path / "pack.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1000,1600",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pixels = png_pixels(shot)
    assert len(pixels) > 100_000
    assert len(set(pixels)) > 50  # text, table lines and the chart, not one flat colour

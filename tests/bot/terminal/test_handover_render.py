"""The printable HTML pack, rendered by a real browser (Debian's headless Chromium)."""

import json
import re
import shutil
import struct
import subprocess
import zlib
from datetime import date
from html import unescape

import pytest
from dateutil.relativedelta import relativedelta

from tests.terminal import FIXTURE, PROJECT, pack, run, seeded

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


# What a browser finds overflowing its box, written into the page for --dump-dom to return.
OVERFLOW_PROBE = """<script>
const over = [];
for (const el of document.querySelectorAll("td, th, dd, dt, p, li, h1, h2, h3, figure")) {
  if (el.scrollWidth > el.clientWidth + 1) over.push(el.tagName + ": " + el.textContent.trim().slice(0, 60));
}
if (document.documentElement.scrollWidth > window.innerWidth) over.push("page: " + document.documentElement.scrollWidth);
document.body.setAttribute("data-overflow", JSON.stringify(over));
</script></body>"""


def six_measures_two_years(path):
    """The A38 sample grown to six measures, five of them reported every month for two years,
    each update with a note and an evidence link."""
    document = json.loads(FIXTURE.read_text())
    m1 = next(m for m in document["measures"] if m["key"] == "m1")
    document["measures"] += [{**m1, "key": f"m{n}", "name": f"{m1['name']}, lot {n}"} for n in range(3, 7)]
    template = next(u for u in document["progress_updates"] if u["measure"] == "m1")
    document["progress_updates"] = [u for u in document["progress_updates"] if u["measure"] == "m2"] + [
        {
            **template,
            "measure": key,
            "period_end": (date(2026, 5, 1) + relativedelta(months=n)).isoformat(),
            "value": 20 * (n + 1),
            "note": f"Month {n + 1}: apprentices on site, from the register",
            "evidence_url": f"https://example.org/evidence/{key}/{n + 1}",
        }
        for key in ("m1", "m3", "m4", "m5", "m6")
        for n in range(24)
    ]
    path.write_text(json.dumps(document))
    return path


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_six_measures_and_two_years_of_months_print_on_a_bounded_number_of_a4_pages_with_nothing_overflowing(database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the rendering does not depend on the database")
    assert run(database_url, "import", str(six_measures_two_years(tmp_path / "six.json")), "--keep-slack-places").returncode == 0
    on = "2028-04-15"
    printed = run(database_url, "handover", "--project", PROJECT, "--format", "pdf", "--on", on, "--out", str(tmp_path / "pack.pdf"))
    assert printed.returncode == 0, printed.stderr
    pdf = (tmp_path / "pack.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    # A cover page, six measures each with its chart and 24 months of updates, and the registers
    # (120 evidence links): 21 pages when written; a layout that wastes pages fails here.
    assert pdf.startswith(b"%PDF") and 10 <= pages <= 24

    html = run(database_url, "handover", "--project", PROJECT, "--format", "html", "--on", on).stdout
    assert html.count('class="value"') == 5 * 24 + 1 and html.count("<figure") == 6  # every value reported marked (m2: one)
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", OVERFLOW_PROBE))
    dumped = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=794,1123",  # A4 at 96 dpi
            "--dump-dom",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    overflow = json.loads(unescape(re.search(r'data-overflow="([^"]*)"', dumped).group(1)))
    assert overflow == []

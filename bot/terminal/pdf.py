"""The printable HTML pack as a PDF, printed by headless Chromium (Debian's `chromium`): the
same page a reader prints from a browser, on A4, with no browser header or footer."""

import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_SECONDS = 120


class PdfRefused(Exception):
    """No browser to print with, or it failed: `reason` names the explanation in prompts/terminal.j2."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def html_to_pdf(html: str) -> bytes:
    chromium = browser()
    if chromium is None:
        raise PdfRefused("pdf_no_browser")
    with tempfile.TemporaryDirectory(prefix="socialvalue-pdf-") as folder:
        page, out = Path(folder) / "pack.html", Path(folder) / "pack.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium,
            "--headless",
            "--no-sandbox",  # as root in a container; the page is our own file, with no script
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=PRINT_SECONDS)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as failed:
            raise PdfRefused("pdf_failed", str(failed)[:200]) from None
        if not out.exists():
            raise PdfRefused("pdf_failed", "no file written")
        return out.read_bytes()

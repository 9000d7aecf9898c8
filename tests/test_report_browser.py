"""The HTML report shows whole in a browser: rendered by headless Chromium (Debian package
``chromium``; skipped where it is missing), every embedded figure is decoded by the browser and
the screenshot is not blank."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bayeslaws.report import write_report

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser",
                                                "google-chrome") if shutil.which(name)), None)
pytestmark = [pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed"),
              pytest.mark.usefixtures("close_figures")]

#: Appended to a copy of the report: the body records how many images the browser decoded.
PROBE = ("<script>window.addEventListener('load', () => {const images = [...document.images];"
         "document.body.dataset.loaded = images.filter(i => i.complete && i.naturalWidth > 0)"
         ".length + '/' + images.length;});</script>")


def chromium(*options: str, page: Path) -> str:
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--virtual-time-budget=5000", *options, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120).stdout


def screenshot(page: Path, png: Path, width: int = 1000, height: int = 2400) -> np.ndarray:
    """The page rendered at ``width`` x ``height`` pixels, as an RGB array."""
    from PIL import Image

    chromium(f"--window-size={width},{height}", f"--screenshot={png}", page=page)
    return np.asarray(Image.open(png).convert("RGB"), dtype=float) / 255


def test_browser_decodes_every_figure_and_renders_a_page(chin, tmp_path):
    report = write_report(chin, tmp_path / "report").with_suffix(".html")
    n_images = report.read_text().count("<img ")
    probe = report.with_name("probe.html")
    probe.write_text(report.read_text().replace("</body>", PROBE + "</body>"))
    dom = chromium("--dump-dom", page=probe)
    loaded = re.search(r'data-loaded="(\d+)/(\d+)"', dom)
    assert loaded is not None, dom[:500]
    assert loaded.groups() == (str(n_images), str(n_images)) and n_images == 7
    picture = screenshot(report, tmp_path / "top.png")
    assert picture.shape == (2400, 1000, 3)
    ink = (picture < 0.9).any(axis=2)  # pixels that are not (nearly) white
    assert ink.mean() > 0.03  # text, tables and figures, not a blank page
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows.max() - rows.min() > 2000  # content down the whole window
    assert picture.std() > 0.1

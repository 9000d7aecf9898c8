"""Screenshots of the HTML report as a browser shows it (docs/report_*.png).

Run from the repository root (needs headless Chromium, Debian package ``chromium``)::

    .venv/bin/python docs/report_screenshots.py

Fits the built-in simulated demo data (Chinchilla law, 81 runs; 2 chains x 500 draws, seed 0),
writes its report, renders ``report.html`` with headless Chromium in a window 1000 pixels wide
and saves the page in slices of 1,600 pixels, downscaled to 700 pixels wide and reduced to a
256-colour palette (small files): ``docs/report_1.png``, ``docs/report_2.png``, ...
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WIDTH, HEIGHT, SLICE, OUT_WIDTH = 1000, 14000, 1600, 700


def main() -> int:
    from PIL import Image

    import bayeslaws as bl
    from bayeslaws.report import write_report
    from bayeslaws.simulate import demo_data

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("no chromium found: apt-get install -y chromium")
        return 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bl.fit("chinchilla", demo_data(), x={"N": "params", "D": "tokens"}, y="loss",
                     chains=2, draws=500, tune=500, random_seed=0, progressbar=False)
    with tempfile.TemporaryDirectory() as tmp:
        page = write_report(fit, Path(tmp) / "report").with_suffix(".html")
        png = Path(tmp) / "page.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--virtual-time-budget=5000",
                        f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}",
                        page.as_uri()], capture_output=True, timeout=120, check=True)
        image = Image.open(png).convert("RGB")
    gray = image.convert("L")
    rows = [y for y in range(gray.height) if gray.crop((0, y, WIDTH, y + 1)).getextrema()[0]
            < 230]
    image = image.crop((0, 0, WIDTH, min(rows[-1] + 40, image.height)))
    for old in (ROOT / "docs").glob("report_*.png"):
        old.unlink()
    for i, top in enumerate(range(0, image.height, SLICE), start=1):
        part = image.crop((0, top, WIDTH, min(top + SLICE, image.height)))
        part = part.resize((OUT_WIDTH, round(part.height * OUT_WIDTH / WIDTH)),
                           Image.Resampling.LANCZOS).quantize(256)
        path = ROOT / "docs" / f"report_{i}.png"
        part.save(path, optimize=True)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

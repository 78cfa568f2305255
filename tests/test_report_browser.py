"""Reports rendered in headless Chromium (Debian's ``chromium``; .ci/run installs it).

Each page is opened from disk with the network and background services off: a screenshot
is produced, the page logs no console message (a blocked resource, a Content-Security-Policy
violation or a script error would), and the safety banner lies above the fold. The fold is
measured on a copy of the page with a one-line script appended that writes the banner's
position into the title (the report itself carries no script, and its policy forbids one).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from past_outcomes.report.caseload import build_caseload_report
from past_outcomes.report.client import build_client_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--window-size=1280,800", "--enable-logging=stderr", "--v=0",
]  # fmt: skip
PROBE = (
    "<script>var b=document.querySelector('.banner');var r=b.getBoundingClientRect();"
    "document.title='FOLD:'+r.top+':'+r.bottom+':'+window.innerHeight;</script>"
)


def _chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("kind", ["client", "caseload"])
def test_rendered_in_chromium(kind: str, tmp_path: Path) -> None:
    if kind == "client":
        report = build_client_report("practice_rom", client="C04")
    else:
        report = build_caseload_report("practice_rom", as_of="2024-11-01")
    page = report.write(tmp_path / f"{kind}.html")

    shot = tmp_path / f"{kind}.png"
    run = _chromium(page, tmp_path / "profile1", f"--screenshot={shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console

    probe = tmp_path / f"{kind}_probe.html"
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.html)
    probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    run = _chromium(probe, tmp_path / "profile2", "--dump-dom")
    match = re.search(r"<title>FOLD:([\d.]+):([\d.]+):(\d+)</title>", run.stdout)
    assert match, run.stdout[:500] + run.stderr[-2000:]
    top, bottom, height = (float(g) for g in match.groups())
    assert 0 <= top < bottom <= height  # the whole banner is visible without scrolling

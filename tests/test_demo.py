"""`radar demo` (what `make demo` runs) ends with a digest for every adviser and acute alerts."""

from __future__ import annotations

import email
from email import policy

import pytest
from conftest import run_radar

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow


def test_demo_sends_every_advisers_digest_and_the_section_114_alert(tmp_path):
    """Run as `make demo` runs it: from a folder, with the default relative --output."""
    import subprocess

    from conftest import RADAR

    output = tmp_path / "demo-output"
    result = subprocess.run(
        RADAR + ["demo"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0 and "Done." in result.stdout, result.stderr
    messages = [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted((output / "mail").glob("*.eml"))
    ]
    digests = [m for m in messages if " — ACUTE — " not in m["Subject"]]
    regions = [r for m in digests for r in m["Subject"].split(" — ")[1].split(", ")]
    # one email per adviser (five), covering England's nine regions between them
    assert len(digests) == 5 and len({m["To"] for m in digests}) == 5
    assert len(regions) == 9 and len(set(regions)) == 9
    alerts = {m["Subject"]: m["To"] for m in messages if " — ACUTE — " in m["Subject"]}
    assert alerts["Council Radar — ACUTE — Sallowmere: Section 114 notice"] == (
        "adviser.westsouthwest@example.org"
    )
    south_west = next(m for m in digests if "South West" in m["Subject"])
    assert "Section 114 notice" in south_west.get_body(("plain",)).get_content()
    # The watch list it leaves behind works for the commands it prints, from anywhere (its
    # paths are relative to its own folder).
    radar = run_radar("radar", "-w", str(output / "watchlist.yaml"))
    assert "Sallowmere" in radar.stdout
    watched = run_radar("watch", "list", "-w", str(output / "watchlist.yaml")).stdout
    assert "Kelderby" in watched and "5 councils" in watched

"""Concerns: opened, updated with history kept, shown in that region's digest only and in the
PSP report, never in exports unless asked for by name."""

from __future__ import annotations

from conftest import rows, run_radar
from test_digest import WEEK, own_copy


def test_concern_history_digest_and_psp_report(tagged, tmp_path):
    path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9})
    opened = run_radar(
        "concern", "open", "Sallowmere", "-f", "finance", "--owner", "SW adviser",
        "--note", "Rang the chief executive <b>about</b> the s114 notice", "-w", path,
    )  # fmt: skip
    assert "Concern 1 opened" in opened.stdout
    run_radar("concern", "update", "1", "--status", "support_package",
              "--note", "Finance peer support agreed", "-w", path)  # fmt: skip
    run_radar("concern", "update", "1", "--note", "Adviser visiting Friday", "-w", path)
    events = rows(tmp_path / "radar.db", "select status, note from concern_events order by id")
    assert [e["status"] for e in events] == ["under_review", "support_package", "support_package"]
    assert events[0]["note"].startswith("Rang the chief executive")  # kept, never overwritten
    shown = run_radar("concern", "show", "1", "-w", path).stdout
    assert "Under review" in shown and "Support package" in shown and "visiting Friday" in shown
    listed = run_radar("concern", "list", "-w", path).stdout
    assert "Sallowmere" in listed and "Support package" in listed
    bad = run_radar("concern", "update", "1", "--status", "panic", "--note", "x", "-w", path,
                    check=False)  # fmt: skip
    assert bad.returncode == 2 and "unknown status" in bad.stderr
    assert run_radar("concern", "open", "Atlantis", "-f", "finance", "--owner", "x",
                     "--note", "y", "-w", path, check=False).returncode == 2  # fmt: skip

    # The region's digest shows the status; another region's digest does not.
    out = tmp_path / "sw.html"
    run_radar("digest", "-r", "South West", "--week", WEEK, "--preview", str(out), "-w", path)
    assert "concern #1: Support package" in out.read_text(encoding="utf-8")
    other = tmp_path / "nw.html"
    run_radar("digest", "-r", "North West", "--week", WEEK, "--preview", str(other), "-w", path)
    assert "concern #" not in other.read_text(encoding="utf-8")

    # The PSP report: open concerns by region, then the radar's councils without one.
    run_radar("report", "psp", "--week", WEEK, "-o", str(tmp_path / "reports"), "-w", path)
    html = (tmp_path / "reports" / f"psp-{WEEK}.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "reports" / f"psp-{WEEK}.md").read_text(encoding="utf-8")
    for report in (html, markdown):
        assert "Sallowmere" in report and "Support package" in report
        assert "Adviser visiting Friday" in report
        assert "Kelderby" in report and "Hollinsford" in report  # on the radar, no concern
    assert "<b>about</b>" not in html  # typed notes are escaped too
    unconcerned = html.split("not yet under a concern")[1]
    assert "Sallowmere" not in unconcerned

    # Exports never carry concern notes.
    exported = run_radar("export", "-w", path).stdout
    assert "visiting Friday" not in exported and "peer support agreed" not in exported
    # ... unless asked for by name: then the whole history, one row per event.
    history = run_radar("export", "--concerns", "--format", "csv", "-w", path)
    lines = history.stdout.strip().splitlines()
    assert lines[0].startswith("concern_id,gss_code,council,region,factors")
    assert len(lines) == 4 and "Finance peer support agreed" in lines[2]
    assert "confidential" in history.stderr

    # Closed concerns leave the list and the report.
    run_radar("concern", "update", "1", "--status", "closed", "--note", "Resolved", "-w", path)
    assert "Sallowmere" not in run_radar("concern", "list", "-w", path).stdout
    assert "Sallowmere" in run_radar("concern", "list", "--all", "-w", path).stdout

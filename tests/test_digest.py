"""Weekly digests: built per region, escaped, delivered over real SMTP to the right people."""

from __future__ import annotations

import email
import re
import shutil
import sqlite3
from datetime import UTC, date, datetime
from email import policy
from html import escape
from pathlib import Path

import pytest
import yaml
from conftest import rows, run_radar

from alerts.digest import (
    AcuteLine,
    CouncilOnRadar,
    Digest,
    Evidence,
    council_page_url,
    current_week,
    page_link,
)
from alerts.mailer import stable_message_id
from alerts.render import clock, render_alert, render_digest, safe_url
from alerts.sink import SmtpSink

WEEK = current_week()  # the demo web dates its news in the current ISO week


def parse(path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def own_copy(tagged, tmp_path, smtp: dict) -> str:
    """A watch list over this test's own copy of the tagged store (sending changes it)."""
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(smtp=smtp, database=str(tmp_path / "radar.db"), output_dir=str(tmp_path / "out"))
    path = tmp_path / "watchlist.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


@pytest.fixture()
def sending_watchlist(tagged, tmp_path):
    """The tagged store, sending to an SMTP sink on loopback."""
    sink = SmtpSink(tmp_path / "mail")
    path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": sink.port})
    with sink:
        yield path, sink


ADVISERS = {  # demo/watchlist.yaml: five advisers for England's nine regions
    "adviser.northwest@example.org": ["North West"],
    "adviser.eastmidlands@example.org": ["North East", "Yorkshire and the Humber",
                                         "East Midlands"],
    "adviser.westsouthwest@example.org": ["West Midlands", "South West"],
    "adviser.southeast@example.org": ["South East"],
    "adviser.eastlondon@example.org": ["East of England", "London"],
}  # fmt: skip


def by_adviser(sink: SmtpSink) -> dict[str, email.message.EmailMessage]:
    """Each adviser's one email (the test fails if anyone got two)."""
    messages = [parse(path) for path in sink.messages()]
    found = {m["To"]: m for m in messages}
    assert len(found) == len(messages), [m["To"] for m in messages]
    return found


def sections(message: email.message.EmailMessage) -> list[str]:
    """The regions with a section heading of their own in the plain text, in order."""
    return re.findall(r"^==== (.+?) ====\r?$", message.get_body(("plain",)).get_content(), re.M)


def test_each_adviser_gets_one_email_with_a_section_per_region(sending_watchlist):
    """Issue #18: an adviser covering two or three regions gets one email, a section per
    region (not three emails, two of them saying "0 councils on the radar"); a region with
    nothing on the radar is one line."""
    watchlist, sink = sending_watchlist
    run_radar("alerts", "--watchlist", watchlist)  # raise (not send) the acute alerts
    result = run_radar("digest", "--week", WEEK, "--all-regions", "--send", "-w", watchlist)
    mail = by_adviser(sink)
    assert sorted(mail) == sorted(ADVISERS)
    assert "West Midlands, South West" in result.stdout
    west = mail["adviser.westsouthwest@example.org"]
    assert west["Subject"].startswith(f"Council Radar — West Midlands, South West — week {WEEK}")
    html = west.get_body(("html",)).get_content()
    text = west.get_body(("plain",)).get_content()
    assert sections(west) == ["WEST MIDLANDS", "SOUTH WEST"]
    for body in (html, text):  # the same content in both parts, each region in its section
        assert body.index("Hollinsford") < body.index("Sallowmere")
        assert "Section 114 notice" in body and "not in itself an indication of failure" in body
        assert "ACUTE SIGNALS RAISED THIS WEEK" in body.upper()
        assert "▲ new" in body  # no flag in its 12-week baseline
    assert html.count(">West Midlands</td>") == html.count(">South West</td>") == 1
    north_west = mail["adviser.northwest@example.org"]
    assert "councils on the radar" in north_west["Subject"] and sections(north_west) == []
    html = north_west.get_body(("html",)).get_content()
    assert "Kelderby" in html and "High-risk change" in html and "/kelderby/" in html
    for address, message in mail.items():  # every region covered: a section or one line
        text = message.get_body(("plain",)).get_content()
        regions = ADVISERS[address]
        if message["Subject"].endswith("nothing on the radar this week"):
            assert f"Nothing on the radar this week in {', '.join(regions)}." in text
        elif len(regions) > 1:
            quiet = [r.upper() for r in regions if f"{r.upper()}: no council on the radar" in text]
            assert sorted(quiet + sections(message)) == sorted(r.upper() for r in regions)
    evidence_links = re.findall(r'<a href="([^"]+)"', west.get_body(("html",)).get_content())
    assert evidence_links and all(link.startswith("http://127.0.0.1") for link in evidence_links)
    assert "<script" not in html and "<img" not in html


@pytest.mark.parametrize("setting", ["send", "skip"])
def test_an_empty_week_is_one_short_email_or_none_as_configured(sending_watchlist, setting):
    """An adviser with nothing on the radar anywhere gets "nothing on the radar this week"
    (`schedule.empty_digest: send`, the default), or nothing (`skip`): recorded as done
    either way, so neither the next run nor a manual `--send` sends it later."""
    watchlist, sink = sending_watchlist
    data = yaml.safe_load(Path(watchlist).read_text(encoding="utf-8"))
    if setting == "skip":
        data["schedule"] = {**data.get("schedule", {}), "empty_digest": "skip"}
        Path(watchlist).write_text(yaml.safe_dump(data), encoding="utf-8")
    quiet = "2020-W10"  # years before anything the demo store holds
    send = ("digest", "--week", quiet, "--all-regions", "--send", "-w", watchlist)
    result = run_radar(*send)
    db = Path(watchlist).with_name("radar.db")
    recorded = rows(db, "select * from digests where week = ? and sent_at is not null", [quiet])
    assert sorted(r["recipient"] for r in recorded) == sorted(ADVISERS)
    if setting == "send":
        mail = by_adviser(sink)
        assert sorted(mail) == sorted(ADVISERS)
        for message in mail.values():
            assert message["Subject"].endswith("nothing on the radar this week")
            for part in ("html", "plain"):
                body = message.get_body((part,)).get_content()
                assert "Nothing on the radar this week in" in body
                assert "ON THE RADAR THIS WEEK (" not in body.upper()
        assert all(r["message_id"] and not r["skipped"] for r in recorded)
    else:
        assert sink.messages() == []
        assert all(r["skipped"] == 1 and r["message_id"] is None for r in recorded)
        assert result.stdout.count("nothing sent (schedule.empty_digest: skip)") == 5
    sent = len(sink.messages())
    again = run_radar(*send, check=False)
    assert again.returncode == 1 and "already sent" in again.stderr
    assert len(sink.messages()) == sent


def test_a_sent_digest_is_not_sent_twice_without_resend(sending_watchlist):
    watchlist, sink = sending_watchlist
    send = ("digest", "--week", WEEK, "--region", "South West", "--send", "-w", watchlist)
    run_radar(*send)
    again = run_radar(*send, check=False)
    assert again.returncode == 1 and "already sent" in again.stderr
    assert len(sink.messages()) == 1
    run_radar(*send, "--resend")
    assert len(sink.messages()) == 2


def test_a_digest_sent_again_after_a_crash_is_the_same_message(sending_watchlist):
    """The gap no store closes (issue #17, item 8): the SMTP server accepts a digest and the
    process dies before the store records it, so the restarted scheduler sends it again.
    It goes again under the same Message-ID, which mail services and clients recognise as
    the message already delivered; a deliberate `--resend` is a new message."""
    watchlist, sink = sending_watchlist
    send = ("digest", "--week", WEEK, "--region", "South West", "--send", "-w", watchlist)
    run_radar(*send)
    db = Path(watchlist).with_name("radar.db")
    sent = rows(db, "select message_id from digests where sent_at is not null")
    # what a crash between the server's acceptance and the store's record leaves
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("update digests set sent_at = null, message_id = null")
    connection.close()
    run_radar(*send)
    run_radar(*send, "--resend")
    ids = [parse(path)["Message-ID"] for path in sink.messages()]
    assert len(ids) == 3 and ids[0] == ids[1] == sent[0]["message_id"], ids
    assert ids[2] != ids[0], "a deliberate resend is a new message"
    # One Message-ID per adviser and week, whichever of their regions asked for it
    assert ids[0] == stable_message_id("digest", "adviser.westsouthwest@example.org", WEEK)
    other = run_radar("digest", "--week", WEEK, "--region", "West Midlands", "--send", "-w",
                      watchlist, check=False)  # fmt: skip
    assert other.returncode == 1 and "already sent" in other.stderr
    assert len(sink.messages()) == 3


def test_smtp_outage_is_reported_and_nothing_is_recorded_as_sent(tagged, tmp_path):
    path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9, "timeout": 5})  # closed
    result = run_radar(
        "digest", "--region", "East Midlands", "--send", "--watchlist", path, check=False
    )
    assert result.returncode == 1 and "SMTP 127.0.0.1:9" in result.stderr
    sent = rows(tmp_path / "radar.db", "select * from digests where sent_at is not null")
    assert sent == [], "an unsent digest is never recorded as sent"


def test_preview_writes_html_without_sending(tagged, tmp_path):
    out = tmp_path / "preview.html"
    run_radar(
        "digest",
        "--region",
        "East Midlands",
        "--week",
        WEEK,
        "--preview",
        str(out),
        "--watchlist",
        str(tagged["watchlist"]),
    )
    html = out.read_text(encoding="utf-8")
    assert "Brackenfold" in html and "<script" not in html


def test_digest_escapes_hostile_titles():
    hostile = Evidence(
        factors=["finance"],
        headline='<script>alert("x")</script>Council in crisis',
        url="javascript:alert(1)",
        source="<b>Feed</b>",
        published="2026-11-25",
        sentence='Reserves "exhausted" <img src=x onerror=alert(1)>',
        page=None,
        kind="news",
    )
    digest = Digest(
        region="North West",
        week="2026-W48",
        start=date(2026, 11, 23),
        end=date(2026, 11, 29),
        councils=[CouncilOnRadar("X1", "<i>Evil</i>", ["finance"], 0.9, 1, [hostile])],
        source_problems=[{"name": "<script>x</script>", "url": "u", "last_error": "<b>"}],
        generated_at="2026-11-27T00:00:00Z",
        alerts=[AcuteLine("<i>Evil</i>", "Section 114 notice", "2026-11-25",
                          "<script>1</script>", "javascript:alert(1)", "<img src=x>")],
        leaving=[CouncilOnRadar("X2", "<u>Gone</u>")],
    )  # fmt: skip
    html, _text = render_digest(digest)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "<i>Evil</i>" not in html and "<u>" not in html
    assert "javascript:" not in html


def test_alert_email_escapes_scraped_text():
    html, text = render_alert(
        {
            "council_name": "<b>Evil</b>", "label": "Section 114 notice", "region": "London",
            "raised_at": "2026-11-25T10:00:00Z", "title": "<script>x</script>",
            "url": "javascript:alert(1)", "source_name": "<i>s</i>", "published": "2026-11-25",
            "evidence": "<img src=x onerror=alert(1)>",
        }
    )  # fmt: skip
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;b&gt;Evil&lt;/b&gt;" in html and "<script>x</script>" in text


def test_only_http_links_survive():
    assert safe_url("https://example.org/a") == "https://example.org/a"
    assert safe_url(" JavaScript:alert(1)") == ""
    assert safe_url("data:text/html,hi") == ""
    assert safe_url(None) == ""


def store_digest(watchlist: str, region: str):
    """The digest the CLI sends for `region` this week, built in this process to compare."""
    from alerts.digest import build_digest
    from domain.config import load_watchlist
    from store import open_db

    config = load_watchlist(watchlist)
    db = open_db(config.database)
    try:
        return build_digest(db, config.radar, region, WEEK, config.ui.base_url)
    finally:
        db.close()


def test_an_acute_alert_is_marked_high_importance_and_a_digest_is_not(sending_watchlist):
    """An ACUTE alert must not wait in a folder with the newsletters: Outlook reads
    `Importance`, Thunderbird and Apple Mail `X-Priority`, RFC 2156 says `Priority`. A weekly
    digest marked the same way would teach advisers to ignore the mark."""
    watchlist, sink = sending_watchlist
    run_radar("alerts", "--send", "--watchlist", watchlist)
    run_radar("digest", "--week", WEEK, "--region", "South West", "--send", "-w", watchlist)
    messages = [parse(path) for path in sink.messages()]
    alerts = [m for m in messages if "ACUTE" in m["Subject"]]
    [digest] = [m for m in messages if "ACUTE" not in m["Subject"]]
    assert alerts, "the tagged store raises acute alerts"
    for alert in alerts:
        assert (alert["Importance"], alert["X-Priority"], alert["Priority"]) == (
            "high", "1", "urgent"
        ), alert["Subject"]  # fmt: skip
    assert (digest["Importance"], digest["X-Priority"], digest["Priority"]) == (None, None, None)


def test_the_alert_email_shows_when_it_was_raised_in_london_time(sending_watchlist):
    watchlist, sink = sending_watchlist
    run_radar("alerts", "--send", "--watchlist", watchlist)
    sent = rows(Path(watchlist).with_name("radar.db"), "select * from alerts order by id")
    by_id = {row["message_id"]: row for row in sent}
    for path in sink.messages():
        message = parse(path)
        raised = by_id[message["Message-ID"]]["raised_at"]
        shown = clock(raised, "Europe/London")
        for body in (message.get_body(("html",)).get_content(),
                     message.get_body(("plain",)).get_content()):  # fmt: skip
            assert f"raised {shown} (Europe/London time)" in body
            assert "UTC" not in body


SUMMER = "2026-07-01T06:30:00Z"  # 07:30 in London: British Summer Time
WINTER = "2026-11-25T23:30:00Z"  # 23:30 in London, GMT; still the 25th


@pytest.mark.parametrize(
    ("stamp", "shown"), [(SUMMER, "1 Jul 2026, 07:30 BST"), (WINTER, "25 Nov 2026, 23:30 GMT")]
)
def test_times_are_shown_in_london_time_labelled(stamp, shown):
    assert clock(stamp, "Europe/London") == shown
    html, text = render_alert(
        {
            "council_name": "Sallowmere", "label": "Section 114 notice", "region": "South West",
            "raised_at": stamp, "title": "Notice", "url": "https://example.org/n",
            "source_name": "Council news", "published": "2026-06-30", "evidence": "issued",
        }
    )  # fmt: skip
    for body in (html, text):
        assert f"raised {shown} (Europe/London time)" in body and "UTC" not in body
    digest = Digest(
        region="South West", week="2026-W27", start=date(2026, 6, 29), end=date(2026, 7, 5),
        councils=[], source_problems=[], generated_at=stamp,
        alerts=[AcuteLine("Sallowmere", "Section 114 notice", stamp, "Notice",
                          "https://example.org/n", "issued")],
    )  # fmt: skip
    for body in render_digest(digest):
        assert f"Generated {shown}" in body and "times are Europe/London time" in body
        assert f"Section 114 notice (raised {shown})" in body


def test_the_digest_is_generated_at_the_time_it_is_given(tagged):
    """`now` is the digest's own clock: a test or a rebuilt digest says when it was made."""
    from alerts.digest import build_digest
    from domain.config import load_watchlist
    from store import open_db

    config = load_watchlist(tagged["watchlist"])
    db = open_db(config.database)
    try:
        digest = build_digest(
            db, config.radar, "South West", WEEK, now=datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
        )
    finally:
        db.close()
    html, text = render_digest(digest)
    for body in (html, text):
        assert "Generated 1 Jul 2026, 07:30 BST" in body


def test_pdf_evidence_links_open_the_cited_page(sending_watchlist):
    """Evidence quoted from page N of a meeting's PDF links to `#page=N`: Chromium's, Firefox's
    and Acrobat's viewers open that page, not the cover of a 90-page report."""
    watchlist, sink = sending_watchlist
    run_radar("digest", "--week", WEEK, "--all-regions", "--send", "--watchlist", watchlist)
    cited = [
        (region, e)
        for region in ("North West", "West Midlands", "South West")
        for c in store_digest(watchlist, region).councils
        for e in c.evidence
        if e.page
    ]
    assert cited, "the demo's meeting PDFs give evidence with a page"
    mail = by_adviser(sink)
    adviser_of = {region: a for a, regions in ADVISERS.items() for region in regions}
    for region, evidence in cited:
        html = mail[adviser_of[region]].get_body(("html",)).get_content()
        text = mail[adviser_of[region]].get_body(("plain",)).get_content()
        link = f"{evidence.url}#page={evidence.page}"
        assert f'href="{escape(link)}"' in html, (region, link)
        assert f"page {evidence.page}</a>" in html
        assert link in text.split()


def test_stories_not_shown_are_counted_and_linked_to_the_council_in_the_ui(tagged, tmp_path):
    """A digest that counts "8 stories" and shows three says where the other five are: the
    council's page in `radar ui` with `ui.base_url`, else radar search; with it, the
    council's name links to its page too."""
    sink = SmtpSink(tmp_path / "mail")
    path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": sink.port})
    send = ("digest", "--week", WEEK, "--region", "West Midlands", "--send", "-w", path)
    with sink:
        run_radar(*send)
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        data["ui"] = {"base_url": "https://radar.example.org/"}
        Path(path).write_text(yaml.safe_dump(data), encoding="utf-8")
        run_radar(*send, "--resend")
    plain, linked = [parse(p) for p in sink.messages()]
    [council] = [c for c in store_digest(path, "West Midlands").councils if c.name == "Hollinsford"]
    hidden = council.items - len(council.evidence)
    assert len(council.evidence) == 3 and hidden > 0, (council.items, council.evidence)
    line = f"and {hidden} more stories"
    html = plain.get_body(("html",)).get_content()
    text = plain.get_body(("plain",)).get_content()
    for body in (html, text):
        assert f"{line} in radar search" in body
    assert "/council/" not in html + text and "<a href" not in html.split("Hollinsford")[1][:40]
    url = f"https://radar.example.org/council/{council.gss_code}"
    html = linked.get_body(("html",)).get_content()
    text = linked.get_body(("plain",)).get_content()
    assert f'<a href="{escape(url)}" style="color:#1d3557;">{line} on its page</a>' in html
    assert f"{line} on its page: {url}" in text
    assert re.search(rf'<a href="{re.escape(url)}" [^>]*>Hollinsford</a>', html)  # its name
    assert f"Its page: {url}" in text


def test_the_council_page_address_is_built_in_one_place():
    assert council_page_url("https://radar.example.org", "E06000001") == (
        "https://radar.example.org/council/E06000001"
    )
    assert page_link("https://example.org/a.pdf?x=1", 4) == "https://example.org/a.pdf?x=1#page=4"
    assert page_link("https://example.org/a.pdf#page=9", 4) == "https://example.org/a.pdf#page=9"
    assert page_link("https://example.org/news", None) == "https://example.org/news"


def test_each_council_has_a_trend_sparkline_in_both_parts(tagged, tmp_path):
    """Issue #18: a sparkline per council from the weekly history, as Unicode blocks in the
    HTML and the plain text alike (Gmail and Outlook drop inline SVG); no image at all."""
    from alerts.digest import SPARK_WEEKS, build_digest
    from alerts.history import record_week
    from alerts.scoring import shift_week
    from domain.config import load_watchlist
    from store import open_db

    path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9})
    config = load_watchlist(path)
    db = open_db(config.database)
    try:
        for back in (1, 2, 3):
            record_week(db, config, shift_week(WEEK, -back))
        digest = build_digest(db, config.radar, "West Midlands", WEEK)
    finally:
        db.close()
    [council] = [c for c in digest.councils if c.name == "Hollinsford"]
    assert len(council.history) == SPARK_WEEKS and council.history[-1] == council.score
    assert council.history[:-4] == [None] * (SPARK_WEEKS - 4)  # weeks never recorded
    assert council.spark.strip() and len(council.spark) == SPARK_WEEKS
    html, text = render_digest(digest)
    for body in (html, text):
        assert f"{SPARK_WEEKS} weeks" in body and council.spark.strip() in body
    assert "<svg" not in html and "<img" not in html
    # Without any earlier week recorded there is no trend to draw: no line at all.
    bare = Digest(
        "West Midlands",
        WEEK,
        date(2026, 1, 5),
        date(2026, 1, 11),
        [CouncilOnRadar("X1", "Nowhere", ["finance"], 1.0, 1)],
        [],
        SUMMER,
    )
    assert " weeks" not in render_digest(bare)[1].split("Nowhere")[1].split("Factors")[0]

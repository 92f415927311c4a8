"""The radar: scores, baselines and trends, acute alerts, late arrivals, the due week, CLI."""

from __future__ import annotations

import email
import json
from datetime import UTC, date, datetime, timedelta
from email import policy

import pytest
import yaml
from conftest import rows, run_radar
from test_digest import WEEK, own_copy

from alerts.acute import SIGNALS, check_acute, detect, stated
from alerts.deliver import due_week
from alerts.scoring import compute_radar, factor_scores, shift_week, week_bounds
from classifiers.attribution import CouncilMatcher
from domain.config import RadarSettings, ScheduleSettings, WatchList
from store import open_db
from store.items import insert_item, radar_time

SETTINGS = RadarSettings()
THIS = "2026-W48"  # Monday 23 November 2026


def at(week: str, day: int = 2) -> str:
    return f"{week_bounds(week)[0] + timedelta(days=day)}T10:00:00Z"


@pytest.fixture()
def store(tmp_path):
    db = open_db(tmp_path / "radar.db")
    for code, name, region in [
        ("X1", "Kelderby", "North West"),
        ("X2", "Brackenfold", "East Midlands"),
        ("X3", "Sallowmere", "South West"),
    ]:
        db["councils"].insert(
            {"gss_code": code, "name": name, "region": region, "aliases": "[]", "watched": 1}
        )
    return db


def add(db, item_id: str, code: str, flags: dict[str, float], when: str, **extra) -> None:
    """A stored, tagged item: real rows in a real SQLite store, as the pipelines write them."""
    item = {
        "id": item_id,
        "url": f"http://127.0.0.1/{item_id}",
        "canonical_url": f"http://127.0.0.1/{item_id}",
        "origin": extra.get("origin", "media"),
        "kind": extra.get("kind", "media"),
        "title": extra.get("title", f"Story {item_id}"),
        "text": extra.get("text", ""),
        "published": when,
        "fetched": extra.get("fetched", when),
        "story_id": extra.get("story_id", item_id),
    }
    method = "source" if item["origin"] == "council" else "name"
    insert_item(db, item, [(code, method)])
    db["tags"].insert(
        {"item_id": item_id, "sentiment": extra.get("sentiment", "negative"), "scores": "{}"}
    )
    for factor, score in flags.items():
        db["flags"].insert(
            {"item_id": item_id, "factor": factor, "score": score, "evidence": "It happened."}
        )


def test_factor_scores_count_a_story_once_and_weigh_sources():
    row = {"factor": "finance", "score": 0.8, "sentiment": "negative"}
    minutes = {**row, "story_id": "a", "origin": "council", "kind": "minutes"}
    media = {**row, "story_id": "b", "origin": "media", "kind": "media"}
    assert factor_scores(SETTINGS, [minutes])["finance"] == pytest.approx(0.8)
    assert factor_scores(SETTINGS, [media])["finance"] == pytest.approx(0.56)
    syndicated = [media, {**media, "origin": "alert", "kind": "alert"}]
    assert factor_scores(SETTINGS, syndicated) == factor_scores(SETTINGS, [media])
    two = factor_scores(SETTINGS, [minutes, media])["finance"]
    assert two == pytest.approx(1 - 0.2 * 0.44) and two < 1
    upbeat = factor_scores(SETTINGS, [{**minutes, "sentiment": "positive"}])["finance"]
    assert upbeat < factor_scores(SETTINGS, [minutes])["finance"]


def test_new_rising_steady_and_leaving(store):
    # Kelderby: quiet for 12 weeks, then finance and leadership this week -> new.
    add(store, "k1", "X1", {"finance": 0.9}, at(THIS), origin="council", kind="minutes")
    add(store, "k2", "X1", {"leadership": 0.8}, at(THIS))
    # Brackenfold: the same finance noise every week -> steady, still on the radar.
    for back in range(0, 13):
        add(store, f"b{back}", "X2", {"finance": 0.8}, at(shift_week(THIS, -back)))
    # Sallowmere: on the radar last week, nothing this week -> leaving.
    add(store, "s1", "X3", {"finance": 0.95}, at(shift_week(THIS, -1)), origin="government")
    radar = compute_radar(store, SETTINGS, THIS)
    ranked = [c.name for c in radar.councils]
    assert ranked == ["Kelderby", "Brackenfold"]  # new concerns rank above chronic ones
    kelderby, brackenfold = radar.councils
    assert radar.trend(kelderby) == "new" and set(kelderby.new_factors) == {"finance", "leadership"}
    assert kelderby.score == pytest.approx(0.9 + 0.8 * 0.7)
    assert radar.trend(brackenfold) == "steady" and brackenfold.baseline == pytest.approx(0.56)
    assert [c.name for c in radar.leaving] == ["Sallowmere"]
    # The week after, Kelderby's score falls to nothing and it leaves too.
    later = compute_radar(store, SETTINGS, shift_week(THIS, 1))
    assert "Kelderby" in [c.name for c in later.leaving]
    # One region only.
    assert [c.name for c in compute_radar(store, SETTINGS, THIS, "North West").councils] == [
        "Kelderby"
    ]


def test_rising_and_falling_against_the_baseline(store):
    for back in range(1, 13):
        add(store, f"r{back}", "X1", {"finance": 0.6}, at(shift_week(THIS, -back)))
    add(store, "r0", "X1", {"finance": 0.95, "leadership": 0.9}, at(THIS), origin="government")
    for back in range(1, 13):
        add(
            store,
            f"f{back}",
            "X2",
            {"finance": 0.95, "leadership": 0.95},
            at(shift_week(THIS, -back)),
        )
    add(store, "f0", "X2", {"finance": 0.8}, at(THIS), origin="council", kind="minutes")
    radar = compute_radar(store, SETTINGS, THIS)
    trends = {c.name: radar.trend(c) for c in radar.councils}
    assert trends == {"Kelderby": "rising", "Brackenfold": "falling"}


def test_below_threshold_is_not_on_the_radar(store):
    add(store, "w", "X1", {"risky_change": 0.55}, at(THIS), origin="alert", kind="alert")
    assert compute_radar(store, SETTINGS, THIS).councils == []  # 0.55 x 0.6 = 0.33 < 0.5
    assert compute_radar(store, RadarSettings(on_radar=0.3), THIS).councils


@pytest.mark.parametrize(
    "key, sentence, expected",
    [
        ("section_114", "Sallowmere Council issues section 114 notice", True),
        ("section_114", "The chief finance officer has issued a section 114 notice, which "
                        "means no new spending is allowed.", True),
        ("section_114", "The council has not issued a section 114 notice.", False),
        ("section_114", "The council may have to issue a section 114 notice if savings are "
                        "not found.", False),
        ("section_114", "Councils like Sallowmere that issued section 114 notices are "
                        "struggling.", False),
        ("section_114", "Officers explained the duty to issue a section 114 notice if "
                        "spending exceeds resources.", False),
        ("section_114", "Leader says council will avoid issuing a s114 notice", False),
        ("intervention", "Government appoints commissioners to run Kelderby Council", True),
        ("intervention", "The leader said the council would resist any government "
                         "intervention.", False),
        ("chief_executive", "Chief executive suspended pending investigation", True),
        ("chief_executive", "The chief executive has left the council after irreconcilable "
                            "differences with the leader.", True),
        ("chief_executive", "The chief executive is leaving to join another council in the "
                            "spring.", False),
        ("chief_executive", "Opposition calls for chief executive to be suspended", False),
        ("no_budget", "Councillors failed to set a lawful budget at Thursday's meeting.", True),
        ("no_budget", "Unless savings are found the council could be unable to set a balanced "
                      "budget.", False),
        ("best_value_notice", "The government has issued a best value notice to the council.",
         True),
        ("best_value_notice", "The council hopes to avoid being issued a best value notice.",
         False),
        ("best_value_notice", "The department issued guidance on best value notices.", False),
        ("section_114", "The section 114 notice issued in 2021 was lifted last month.", False),
        ("section_114", "The council issued a s. 114 notice on Friday.", True),
        ("chief_executive", "The chief executive, who was suspended last year, has returned.",
         False),
        ("intervention", "The committee discussed a report on statutory intervention at "
                         "Spelthorne.", False),
        ("intervention", "Ministers announced statutory intervention at the council.", True),
        ("section_114", "After months of not knowing; the council issued a section 114 notice.",
         True),
    ],
)  # fmt: skip
def test_acute_signals_only_when_the_event_happened(key, sentence, expected):
    signal = next(s for s in SIGNALS if s.key == key)
    assert stated(signal, sentence) is expected


MATCHER = CouncilMatcher(WatchList().council_register().values())


def test_acute_signal_is_about_the_council_it_names():
    own = {"gss_code": "E06000023", "name": "Bristol", "method": "source"}  # Bristol's own item
    item = {
        "title": "Budget update",
        "text": "Slough Borough Council issued a section 114 notice on Monday.\n\nOur budget "
        "is fine.",
        "factors": ["finance"],
        "councils": [own],
    }
    assert [(c["name"], s.key) for c, s, _ in detect(item, MATCHER)] == [("Slough", "section_114")]
    assert detect({**item, "factors": ["leadership"]}, MATCHER) == []  # the classifier agrees
    # A sentence naming no council is about the councils its headline names...
    media = {
        "title": "Croydon leader visits Birmingham",
        "text": "Birmingham City Council issued a section 114 notice in September.",
        "factors": ["finance"],
        "councils": [{**own, "gss_code": "E09000008", "name": "Croydon", "method": "name"}],
    }
    assert [c["name"] for c, _, _ in detect(media, MATCHER)] == ["Birmingham"]
    # ... and a council's own statement in its own words is about itself.
    plain = {**item, "text": "The chief finance officer has issued a section 114 notice."}
    assert [c["name"] for c, _, _ in detect(plain, MATCHER)] == ["Bristol"]
    # A report on other councils' notices is not an alert for anyone.
    report = {**item, "text": "Since 2018 eight councils have issued section 114 notices, "
              "including Croydon and Thurrock."}  # fmt: skip
    assert detect(report, MATCHER) == []


def test_one_alert_per_council_and_signal(store, tmp_path):
    config = WatchList(database=tmp_path / "radar.db", include_england=False)
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = "The chief finance officer issued a section 114 notice today."
    add(store, "a1", "X3", {"finance": 0.95}, stamp, text=text, origin="council", kind="news")
    add(store, "a2", "X3", {"finance": 0.95}, stamp, text=text, story_id="a2")
    old = (now - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    add(store, "old", "X1", {"finance": 0.95}, old, text=text.replace("today", ""))
    raised = check_acute(store, config, now)
    assert [(a["gss_code"], a["signal"]) for a in raised] == [("X3", "section_114")]
    assert check_acute(store, config, now + timedelta(days=3)) == []  # not again
    assert rows(tmp_path / "radar.db", "select count(*) as n from alerts")[0]["n"] == 1
    # A new notice after the repeat window is a new episode: alerted again.
    later = now + timedelta(days=SETTINGS.acute_repeat_days + 1)
    when = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    add(store, "a3", "X3", {"finance": 0.95}, when, text=text, origin="council", kind="news")
    assert [a["item_id"] for a in check_acute(store, config, later)] == ["a3"]


def test_late_arrival_counts_in_the_week_it_was_found(store):
    sunday = "2026-11-29T23:00:00Z"  # end of W48
    monday = "2026-11-30T09:00:00Z"  # W49, after the W48 digest went out at 07:00
    assert radar_time(store, sunday, monday) == sunday  # no W48 digest sent yet
    store["digests"].insert(
        {"recipient": "a@example.org", "week": "2026-W48", "sent_at": "2026-11-30T07:00:01Z"}
    )
    assert radar_time(store, sunday, monday) == monday
    assert radar_time(store, sunday, monday, first_crawl=True) == sunday  # a first crawl: history
    # Minutes posted five weeks after the meeting they are dated by still reach a digest.
    meeting = "2026-10-26T19:00:00Z"
    store["digests"].insert(
        {"recipient": "b@example.org", "week": "2026-W44", "sent_at": "2026-11-02T07:00:00Z"}
    )
    assert radar_time(store, meeting, monday) == monday
    assert radar_time(store, "2026-06-01T09:00:00Z", monday) == "2026-06-01T09:00:00Z"  # too old
    assert radar_time(store, None, monday) == monday
    assert radar_time(store, "2027-05-01T00:00:00Z", monday) == monday  # a date in the future


@pytest.mark.parametrize(
    "now, expected",
    [
        ("2026-11-30T06:59:00+00:00", "2026-W47"),  # Monday before 07:00 London (GMT)
        ("2026-11-30T07:00:00+00:00", "2026-W48"),
        ("2026-11-28T12:00:00+00:00", "2026-W47"),  # Saturday
        ("2026-06-01T06:30:00+00:00", "2026-W22"),  # Monday 07:30 BST: the slot has passed
        ("2026-06-01T05:30:00+00:00", "2026-W21"),
        ("2027-01-04T08:00:00+00:00", "2026-W53"),  # 2026 has 53 ISO weeks
    ],
)
def test_due_week_follows_the_london_monday_slot(now, expected):
    assert due_week(ScheduleSettings(), datetime.fromisoformat(now)) == expected


def test_radar_command_prints_the_radar(tagged, tmp_path):
    path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9})
    run_radar("alerts", "--watchlist", path)
    result = run_radar("radar", "--week", WEEK, "--watchlist", path)
    for name in ("Kelderby", "Brackenfold", "Hollinsford", "Sallowmere"):
        assert name in result.stdout
    assert "ACUTE" in result.stdout and "▲ new" in result.stdout
    lines = run_radar("radar", "--week", WEEK, "--json", "-r", "south west", "-w", path).stdout
    found = [json.loads(line) for line in lines.splitlines()]
    assert [r["council"] for r in found] == ["Sallowmere"]
    assert found[0]["acute"] == ["section_114"] and found[0]["factors"]["finance"] > 0.5
    assert found[0]["top_url"].startswith("http://127.0.0.1")
    bad = run_radar("radar", "--week", "2026-48", "-w", path, check=False)
    assert bad.returncode == 2 and "ISO week" in bad.stderr


def test_dry_run_writes_eml_and_records_nothing(tagged, tmp_path):
    path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9})  # nothing listens
    run_radar("digest", "--all-regions", "--week", WEEK, "--dry-run", "-w", path)
    run_radar("alerts", "--dry-run", "-w", path)
    outbox = sorted((tmp_path / "out" / "outbox").glob("*.eml"))
    assert len([p for p in outbox if p.name.startswith("digest-")]) == 5  # one per adviser
    alerts = [p for p in outbox if p.name.startswith("alert-")]
    assert alerts
    message = email.message_from_bytes(alerts[0].read_bytes(), policy=policy.default)
    assert "ACUTE" in message["Subject"] and message.get_body(("plain",))
    db = tmp_path / "radar.db"
    assert rows(db, "select * from digests where sent_at is not null") == []
    assert rows(db, "select * from alerts where sent_at is not null") == []


def test_schedule_settings_are_validated(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump({"schedule": {"digest_at": "7am", "timezone": "Mars/Base"}}))
    result = run_radar("status", "-w", str(path), check=False)
    assert result.returncode == 2
    assert "schedule.digest_at" in result.stderr and "Mars/Base" in result.stderr


def test_week_arithmetic():
    assert shift_week("2026-W01", -1) == "2025-W52"
    assert week_bounds("2026-W48") == (date(2026, 11, 23), date(2026, 11, 30))


class RefuseSome:
    """An SMTP server that refuses one mailbox and accepts the rest (a real aiosmtpd)."""

    def __init__(self) -> None:
        self.received: list[list[str]] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("gone@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


def test_a_refused_adviser_is_recorded_and_the_others_get_their_digest_once(store, tmp_path):
    """Each adviser's digest is its own email (issue #18): a mailbox the server refuses for
    good (5xx) is recorded as refused, not retried every hour, and the others are sent once."""
    from aiosmtpd.controller import Controller

    from alerts.deliver import AlreadySent, deliver_pending, send_adviser_digest
    from alerts.sink import free_port

    handler, port = RefuseSome(), free_port()
    advisers = [
        {"name": "A", "email": "adviser@example.org"},
        {"name": "B", "email": "gone@example.org"},
    ]
    config = WatchList(
        database=tmp_path / "radar.db",
        output_dir=tmp_path / "out",
        include_england=False,
        regions={"North West": {"advisers": advisers}},
        smtp={"host": "127.0.0.1", "port": port},
    )
    monday = datetime(2026, 11, 30, 12, tzinfo=UTC)  # the W48 digest is due
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        delivery = deliver_pending(store, config, monday)
        assert handler.received == [["adviser@example.org"]]
        assert delivery.failed == [] and len(delivery.sent) == 1, delivery
        found = {r["recipient"]: r for r in rows(tmp_path / "radar.db", "select * from digests")}
        assert found["adviser@example.org"]["last_error"] is None
        gone = found["gone@example.org"]
        assert gone["week"] == "2026-W48" and gone["sent_at"] and "gone@" in gone["last_error"]
        with pytest.raises(AlreadySent):
            send_adviser_digest(store, config, "adviser@example.org", "2026-w48")  # lower case
        # The hourly retry sends neither again.
        deliver_pending(store, config, monday, retry_only=True)
        assert len(handler.received) == 1
    finally:
        controller.stop()


def test_a_digest_being_sent_cannot_be_claimed_twice(store):
    from store.digests import claim_digest

    who, regions = "a@example.org", ["East of England", "London"]
    assert claim_digest(store, who, "2026-W48", "2026-11-30T07:00:00Z", regions)
    assert not claim_digest(store, who, "2026-W48", "2026-11-30T07:01:00Z", regions)
    # A claim older than 15 minutes died with its process: it can be taken over.
    assert claim_digest(store, who, "2026-W48", "2026-11-30T07:20:00Z", regions)


def test_a_store_with_per_region_digests_keeps_them_and_records_per_adviser(tmp_path):
    """A store from before issue #18 kept digests per (region, week): those rows are kept,
    renamed, and the store records digests per (recipient, week) from then on."""
    import sqlite3

    from store.digests import claim_digest, digest_sent, record_digest

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    with old:
        old.execute(
            "create table digests (region text, week text, sent_at text, message_id text, "
            "recipients text, html_path text, attempted_at text, last_error text, "
            "sending_at text, primary key (region, week))"
        )
        old.execute("insert into digests (region, week, sent_at) values ('London', 'W', 'T')")
    old.close()
    db = open_db(path)
    try:
        assert rows(path, "select region, week from digests_by_region") == [
            {"region": "London", "week": "W"}
        ]
        now = "2026-11-30T07:00:00Z"
        assert claim_digest(db, "a@example.org", "2026-W48", now, ["East of England", "London"])
        record_digest(db, "a@example.org", "2026-W48", ["East of England", "London"], "x", now)
        sent = digest_sent(db, "a@example.org", "2026-W48")
        assert sent and json.loads(sent["regions"]) == ["East of England", "London"]
    finally:
        db.close()


def test_hostile_scraped_text_reaches_the_adviser_escaped(store, tmp_path):
    from alerts.deliver import send_adviser_digest
    from alerts.sink import SmtpSink

    add(
        store,
        "evil",
        "X1",
        {"finance": 0.99},
        at(THIS),
        title='<script>alert("x")</script>Kelderby <img src=x onerror=alert(1)> crisis',
    )
    store.execute("update items set url = 'javascript:alert(1)' where id = 'evil'")
    store.execute(
        "update flags set evidence = '<iframe src=//evil.example>' where item_id = 'evil'"
    )
    store.conn.commit()
    with SmtpSink(tmp_path / "mail") as sink:
        config = WatchList(
            database=tmp_path / "radar.db",
            output_dir=tmp_path / "out",
            include_england=False,
            regions={"North West": {"advisers": [{"name": "A", "email": "a@example.org"}]}},
            smtp={"host": "127.0.0.1", "port": sink.port},
        )
        send_adviser_digest(store, config, "a@example.org", THIS)
        (path,) = sink.messages()
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    assert "Kelderby" in html and "&lt;script&gt;" in html
    for raw in ("<script", "<img", "<iframe", "javascript:"):
        assert raw not in html
    assert message["To"] == "a@example.org"


def test_the_radar_follows_a_reorganised_councils_successor(tmp_path):
    from store.councils import sync_councils

    config = WatchList(
        database=tmp_path / "radar.db",
        councils=[
            {  # abolished in 2023: its items stay its own, the radar follows North Yorkshire
                "gss_code": "E07000163", "name": "Craven", "official_name": "Craven District "
                "Council", "type": "NMD", "region": "Yorkshire and the Humber",
                "ended": "2023-04-01", "successors": ["E06000065"],
            }
        ],
    )  # fmt: skip
    db = open_db(tmp_path / "radar.db")
    sync_councils(db, config.council_register().values())
    for back in range(1, 13):  # Craven's history is North Yorkshire's baseline
        add(db, f"c{back}", "E07000163", {"finance": 0.9}, at(shift_week(THIS, -back)))
    add(db, "now", "E07000163", {"finance": 0.9}, at(THIS))
    radar = compute_radar(db, config.radar, THIS, "Yorkshire and the Humber")
    assert [c.name for c in radar.councils] == ["North Yorkshire"]
    assert radar.trend(radar.councils[0]) == "steady" and radar.councils[0].baseline > 0.5
    links = rows(tmp_path / "radar.db", "select distinct gss_code from item_councils")
    assert links == [{"gss_code": "E07000163"}]  # attributed to the council that published


def test_successors_must_be_known_councils():
    from pydantic import ValidationError

    entry = {"gss_code": "E07000163", "name": "Craven", "official_name": "Craven DC",
             "type": "NMD", "region": "Yorkshire and the Humber",
             "ended": "2023-04-01"}  # fmt: skip
    with pytest.raises(ValidationError, match="not a known council"):
        WatchList(councils=[{**entry, "successors": ["E06099999"]}])
    with pytest.raises(ValidationError, match="no ended date"):
        WatchList(councils=[{**entry, "ended": None, "successors": ["E06000065"]}])

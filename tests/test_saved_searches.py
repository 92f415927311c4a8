"""Saved searches, Google-Alerts style (issue #18 item 5): new matches mailed once per search
over a real SMTP server on loopback, a crash's message sent again under its Message-ID, the
watch list's `saved_searches:` validated with lines, `radar saved` editing it in place, the
crawl job's step; and `radar ui`'s Atom feeds over real HTTP, behind its login."""

from __future__ import annotations

import email
import shutil
from datetime import timedelta
from email import policy
from pathlib import Path

import feedparser
import pytest
import yaml
from conftest import rows, run_radar
from test_ui import raw, serve  # noqa: F401 (a fixture)

from alerts.jobs import check_saved
from alerts.mailer import send_message, stable_message_id
from alerts.saved import check_saved_searches, saved_message, search_filters
from alerts.sink import SmtpSink, free_port
from domain.config import ConfigError, load_watchlist
from store import open_db
from store.items import insert_item
from store.saved import claim_mail, create_mail, new_matches
from store.times import parse_iso, stamp

# End to end (`radar ui` servers, Chromium, SMTP): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

NW = "adviser.northwest@example.org"
SEARCH = {"name": "Zorbington watch", "query": "zorbington", "to": [NW], "region": "North West"}


def parse(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def body(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def watchlist_for(tagged, tmp_path: Path, port: int, searches: list[dict]) -> Path:
    """The tagged store's own copy, sending to `port`, with these saved searches."""
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(
        smtp={"host": "127.0.0.1", "port": port}, database=str(tmp_path / "radar.db"),
        output_dir=str(tmp_path / "out"), saved_searches=searches,
    )  # fmt: skip
    path = tmp_path / "watchlist.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def start_time(db_path: Path):
    """A moment after everything the crawl stored: the tests' clock starts there."""
    latest = rows(db_path, "select max(first_seen) as t from items")[0]["t"]
    return parse_iso(latest) + timedelta(hours=1)


def store_item(db_path: Path, key: str, gss: str, title: str, at) -> str:
    """A new item from the council's own news feed (a source already crawled, so not its
    history), stored through the store's API as a crawl stores it."""
    db = open_db(db_path)
    source = next(iter(db.query(
        "select id from sources where council = ? and kind = 'feed'", [gss]
    )))["id"]  # fmt: skip
    url = f"https://example.org/{key}"
    insert_item(
        db,
        {"id": key, "url": url, "canonical_url": url, "source_id": source, "origin": "council",
         "kind": "news", "title": title, "text": f"{title}. The council said more today.",
         "published": stamp(at)[:10], "fetched": stamp(at), "first_seen": stamp(at),
         "content_hash": key, "meta": "{}"},
        [(gss, "source")],
    )  # fmt: skip
    db.close()
    return key


@pytest.fixture()
def sink(tmp_path):
    with SmtpSink(tmp_path / "mail") as running:
        yield running


def test_a_new_match_is_mailed_once_and_never_twice(tagged, tmp_path, sink):
    path = watchlist_for(tagged, tmp_path, sink.port, [SEARCH])
    config = load_watchlist(path)
    db_path = config.database
    t0 = start_time(db_path)
    db = open_db(db_path)
    first = check_saved_searches(db, config, now=t0)
    assert [o.status for o in first.outcomes] == ["started"]  # the mark only: no back catalogue
    assert sink.messages() == []

    store_item(
        db_path,
        "zorb-1",
        "X08000001",
        "Kelderby debates the Zorbington depot",
        t0 + timedelta(minutes=1),
    )
    # the same word about a council of another region: the search's region filter leaves it
    store_item(
        db_path, "zorb-sw", "X06000001", "Sallowmere Zorbington fair", t0 + timedelta(minutes=1)
    )
    second = check_saved_searches(db, config, now=t0 + timedelta(minutes=2))
    assert [(o.status, o.matches) for o in second.outcomes] == [("sent", 1)]
    assert len(sink.messages()) == 1
    mail = parse(sink.messages()[0])
    assert "Zorbington watch" in mail["Subject"] and "1 new match" in mail["Subject"]
    assert "Kelderby debates the Zorbington depot" in body(mail)
    assert "Sallowmere" not in body(mail)
    assert "https://example.org/zorb-1" in mail.get_body(("html",)).get_content()  # linked
    assert sink.recipients() == [[NW]]

    third = check_saved_searches(db, config, now=t0 + timedelta(minutes=3))
    assert [o.status for o in third.outcomes] == ["nothing"]
    assert len(sink.messages()) == 1  # never twice

    store_item(db_path, "zorb-2", "X08000001", "Zorbington depot sold", t0 + timedelta(minutes=4))
    check_saved_searches(db, config, now=t0 + timedelta(minutes=5))
    assert len(sink.messages()) == 2  # exactly one more, with only the new item
    text = body(parse(sink.messages()[1]))
    assert "Zorbington depot sold" in text and "Kelderby debates" not in text
    sent = rows(db_path, "select search, item_id from saved_items order by item_id")
    assert sent == [
        {"search": "Zorbington watch", "item_id": "zorb-1"},
        {"search": "Zorbington watch", "item_id": "zorb-2"},
    ]
    db.close()


def test_a_message_sent_before_a_crash_is_sent_again_under_its_message_id(tagged, tmp_path, sink):
    path = watchlist_for(tagged, tmp_path, sink.port, [SEARCH])
    config = load_watchlist(path)
    search = config.saved_searches[0]
    t0 = start_time(config.database)
    db = open_db(config.database)
    check_saved_searches(db, config, now=t0)
    store_item(
        config.database, "zorb-1", "X08000001", "Zorbington depot", t0 + timedelta(minutes=1)
    )
    # A check that wrote its message down, claimed it, and died the instant after the
    # SMTP server accepted it: the store never heard.
    t1 = stamp(t0 + timedelta(minutes=2))
    matches = new_matches(db, search.name, search.query, search_filters(search), stamp(t0))
    mail = create_mail(db, search.name, [NW], matches, t1)
    assert mail is not None and claim_mail(db, mail["id"], t1)
    send_message(config.smtp, saved_message(config, search, mail), [NW])
    assert len(sink.messages()) == 1

    # Five minutes on, the dead sender's claim still holds: nothing is sent.
    busy = check_saved_searches(db, config, now=t0 + timedelta(minutes=7))
    assert [o.status for o in busy.outcomes] == ["busy"] and len(sink.messages()) == 1
    # Past the claim's life, the next check sends that very message again: the same items
    # under the same Message-ID, which mail services drop as the one already delivered.
    check_saved_searches(db, config, now=t0 + timedelta(minutes=30))
    assert len(sink.messages()) == 2
    first, again = (parse(p) for p in sink.messages())
    assert again["Message-ID"] == first["Message-ID"] == stable_message_id("saved", mail["id"])
    assert "Zorbington depot" in body(again)
    assert rows(config.database, "select sent_at from saved_mails")[0]["sent_at"]
    check_saved_searches(db, config, now=t0 + timedelta(minutes=31))
    assert len(sink.messages()) == 2  # and then never again
    db.close()


def test_the_crawl_jobs_step_tolerates_smtp_down_and_sends_once_it_is_back(tagged, tmp_path):
    folder = tmp_path / "mail"
    port = free_port()  # nothing listens here yet
    config = load_watchlist(watchlist_for(tagged, tmp_path, port, [SEARCH]))
    t0 = start_time(config.database)
    assert check_saved(config, t0) == (True, "saved searches: 1 checked, 0 messages sent "
                                       "(0 new matches), 1 started (mark set)")  # fmt: skip
    store_item(
        config.database, "zorb-1", "X08000001", "Zorbington depot", t0 + timedelta(minutes=1)
    )
    ok, line = check_saved(config, t0 + timedelta(minutes=2))
    assert not ok and "failed: Zorbington watch: SMTP 127.0.0.1" in line  # no exception
    waiting = rows(config.database, "select id, sent_at, last_error from saved_mails")
    assert len(waiting) == 1 and waiting[0]["sent_at"] is None and waiting[0]["last_error"]
    with SmtpSink(folder, port=port) as sink:
        ok, line = check_saved(config, t0 + timedelta(minutes=3))
        assert ok and "1 messages sent (1 new matches)" in line
        assert len(sink.messages()) == 1
        assert parse(sink.messages()[0])["Message-ID"] == stable_message_id(
            "saved", waiting[0]["id"]
        )
        check_saved(config, t0 + timedelta(minutes=4))
        assert len(sink.messages()) == 1


def test_saved_searches_validate_with_their_lines(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        "regions:\n"
        "  North West:\n"
        f"    advisers: [{{name: NW Adviser, email: {NW}}}]\n"
        "saved_searches:\n"
        "  - {name: ok, query: '\"section 114\"', to: [NW Adviser], factor: finance}\n"
        "  - {name: typo, query: budget, to: [" + NW + "], factor: finanse}\n"
        "  - {name: stranger, query: budget, to: [someone@example.com]}\n"
        "  - {name: broken, query: '\"section 114', to: [" + NW + "]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_watchlist(path)
    lines = str(error.value).splitlines()
    assert lines[0].startswith(f"{path}:6: saved_searches.1.factor: Input should be 'leadership'")
    assert lines[1] == (
        f"{path}:7: saved_searches.2: to: 'someone@example.com' is not an adviser of any "
        "region in this watch list (give an adviser's email or name from regions:)"
    )
    assert lines[2].startswith(f"{path}:8: saved_searches.3.query: '\"section 114' is not")
    assert len(lines) == 3


def test_radar_saved_add_list_remove_round_trip_keeps_comments(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        "# Council Radar watch list: the admin's own notes stay\n"
        "regions:\n"
        "  North West:   # one adviser for now\n"
        f"    advisers: [{{name: NW Adviser, email: {NW}}}]\n",
        encoding="utf-8",
    )
    w = ["-w", str(path)]
    added = run_radar("saved", "add", "S114 north", '"section 114"', "--to", "NW Adviser",
                      "--region", "North West", "--factor", "finance", *w)  # fmt: skip
    assert "saved search 'S114 north' added" in added.stdout
    text = path.read_text(encoding="utf-8")
    assert "# Council Radar watch list: the admin's own notes stay" in text
    assert "# one adviser for now" in text
    search = load_watchlist(path).saved_searches[0]
    assert (search.name, search.query, search.to, search.region, search.factor) == (
        "S114 north", '"section 114"', ["NW Adviser"], "North West", "finance",
    )  # fmt: skip
    listed = run_radar("saved", "list", *w).stdout
    # the filters column may wrap in a narrow table: its words, not its line
    assert "S114 north" in listed and NW in listed and "factor" in listed and "finance" in listed

    refused = run_radar("saved", "add", "Other", "budget", "--to", "bob@example.com", *w,
                        check=False)  # fmt: skip
    assert refused.returncode == 2 and "is not an adviser" in refused.stderr
    assert path.read_text(encoding="utf-8") == text  # nothing written
    twice = run_radar("saved", "add", "s114 NORTH", "budget", "--to", NW, *w, check=False)
    assert twice.returncode == 2 and "already in the watch list" in twice.stderr

    removed = run_radar("saved", "remove", "S114 north", *w)
    assert "removed" in removed.stdout
    after = path.read_text(encoding="utf-8")
    assert "S114 north" not in after and "# one adviser for now" in after
    assert load_watchlist(path).saved_searches == []


def test_radar_saved_check_dry_run_writes_the_message_and_records_nothing(tagged, tmp_path, sink):
    path = watchlist_for(tagged, tmp_path, sink.port, [SEARCH])
    run_radar("saved", "check", "-w", str(path))  # first check: the mark
    at = parse_iso(rows(tmp_path / "radar.db", "select started_at from saved_searches")[0][
        "started_at"]) + timedelta(seconds=1)  # fmt: skip
    store_item(tmp_path / "radar.db", "zorb-1", "X08000001", "Zorbington depot", at)
    outbox = tmp_path / "outbox"
    shown = run_radar("saved", "check", "--dry-run", "--outbox", str(outbox), "-w", str(path))
    assert "written  Zorbington watch: 1 new matches" in shown.stdout
    assert "Zorbington depot" in body(parse(next(outbox.glob("*.eml"))))
    assert sink.messages() == [] and rows(tmp_path / "radar.db", "select * from saved_mails") == []


# --- Atom feeds over HTTP ---------------------------------------------------------------


def feed(url: str, auth: str | None = None):
    status, text = raw(url, auth=auth)
    return status, feedparser.parse(text.encode("utf-8")), text


def test_region_and_council_feeds_parse_and_list_what_they_should(serve, tmp_path):  # noqa: F811
    base = serve().removesuffix("/radar")
    status, parsed, _ = feed(f"{base}/-/feeds/radar/north-west.atom")
    assert status == 200 and parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    councils = [e.title.split(":")[0] for e in parsed.entries]
    assert {"Kelderby", "Ashworth Vale"} <= set(councils)
    assert "Sallowmere" not in councils  # South West
    kelderby = next(e for e in parsed.entries if e.title.startswith("Kelderby"))
    assert kelderby.link.endswith("/council/X08000001"), "to the council page"
    assert "score" in kelderby.title and "Top headline" in kelderby.content[0].value
    request = raw(f"{base}/-/feeds/radar/north-west.atom")
    assert request[0] == 200

    # An adviser's concern about Sallowmere, with a note: never in any feed.
    run_radar("concern", "open", "Sallowmere", "-f", "finance", "--owner", "ann",
              "--note", "CONFIDENTIAL-NOTE-42", "-w", str(tmp_path / "watchlist.yaml"))  # fmt: skip
    status, parsed, text = feed(f"{base}/-/feeds/council/X06000001.atom")
    assert status == 200 and parsed.bozo == 0, parsed.get("bozo_exception")
    titles = [e.title for e in parsed.entries]
    assert titles and any("section 114" in t.lower() for t in titles)
    published = [e.published_parsed for e in parsed.entries]
    assert published == sorted(published, reverse=True)  # newest first
    assert all(e.tags for e in parsed.entries)  # each flagged, its factors as categories
    assert "CONFIDENTIAL-NOTE-42" not in text and "ann" not in text.split("<entry>")[0]
    assert raw(f"{base}/-/feeds/council/X99999999.atom")[0] == 404
    assert raw(f"{base}/-/feeds/radar/atlantis.atom")[0] == 404


def test_feeds_are_atom_and_behind_the_login(serve):  # noqa: F811
    base = serve(env={"RADAR_UI_PASSWORD": "feed-reader-pw"}).removesuffix("/radar")
    url = f"{base}/-/feeds/council/X06000001.atom"
    status, _ = raw(url)
    assert status == 401
    import base64
    import urllib.request

    request = urllib.request.Request(url)
    token = base64.b64encode(b"radar:feed-reader-pw").decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/atom+xml")
        assert feedparser.parse(response.read()).bozo == 0
    assert raw(f"{base}/-/feeds/radar/south-west.atom", auth="radar:wrong")[0] == 401

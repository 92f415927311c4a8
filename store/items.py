"""Items (news, media, minutes, reports) and the councils they are about."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from store.councils import count_suspect_date, source_state
from store.db import write_transaction
from store.feedback import apply_feedback
from store.stories import save_sketch
from store.times import now_iso, parse_iso


def known_urls(db: Database) -> dict[str, str]:
    """Canonical URL -> when it was fetched, for stored items and their known copies.

    A crawl does not fetch these again, unless the source says one was updated since. Except
    the articles of a news listing stored by a crawl that was killed or stopped: a listing is
    read page by page only while a page brings something new, so, known, the first page's
    articles would stop the next crawl before the older pages the stopped one never reached.
    """
    sql = """
        select items.canonical_url, items.fetched from items
        left join sources on sources.id = items.source_id
        where sources.kind is not 'listing' or sources.last_complete >= items.first_seen
        union all select canonical_url, seen_at from url_aliases
    """
    return {row["canonical_url"]: row["fetched"] or "" for row in db.query(sql)}


REFETCH_GROWTH = 4  # each failed refetch waits this many times longer than the one before


def refetch_due(
    db: Database, after_seconds: int, limit: int, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Stored items to fetch again, by source id (url, kind, title, dates, meta).

    An item stored without its text after a failure a later fetch may mend (a server error,
    a timeout, a download cut off) is fetched again once its wait is over: `after_seconds`
    after the first failure, four times that after the second, and so on (an hour, 4 h, 16 h,
    64 h by default, so a site down for a day or two is read once it is back). After `limit`
    fetches in all the item is left as it is. The store drives this, not the source's
    listing: a feed answering 304, or one that no longer lists the entry, must not end it.
    """
    now = now or datetime.now(UTC)
    sql = """
        select url, source_id, kind, title, published, date_source, meta, fetched, fetch_failures
        from items where fetch_failures between 1 and ? order by fetched
    """
    due: dict[str, list[dict[str, Any]]] = {}
    for row in db.query(sql, [limit - 1]):
        fetched, failures = row.pop("fetched"), row.pop("fetch_failures")
        wait = timedelta(seconds=after_seconds * REFETCH_GROWTH ** (failures - 1))
        if not fetched or parse_iso(fetched) + wait <= now:
            due.setdefault(row["source_id"], []).append(row)
    return due


def record_failed_fetch(db: Database, canonical_url: str, fetched: str, retry: bool) -> bool:
    """A stored item fetched again, again without its text: what is stored stays (a summary
    or an older text is better than nothing), and the failure is counted toward the refetch
    limit, or ends the refetching when another try cannot mend it (gone, forbidden, a scan).
    False if it is not stored."""
    with write_transaction(db):
        found = db.execute(
            "select id, fetch_failures from items where canonical_url = ?", [canonical_url]
        ).fetchone()
        if not found:
            return False
        failures = (found[1] or 0) + 1 if retry else None
        db.execute(
            "update items set fetched = ?, fetch_failures = ? where id = ?",
            [fetched, failures, found[0]],
        )
    return True


def mark_fetched(db: Database, canonical_url: str, fetched: str) -> None:
    """Record that a stored URL was fetched again and read, its text found unchanged or
    already stored under another URL: not to be fetched again until its source dates a
    change (so a pending refetch is over)."""
    with write_transaction(db):
        db.execute(
            "update items set fetched = ?, fetch_failures = null where canonical_url = ?",
            [fetched, canonical_url],
        )


def stored_origin(db: Database, canonical_url: str) -> str | None:
    """The origin (council, media, alert, government) of the item stored at this URL."""
    row = db.execute("select origin from items where canonical_url = ?", [canonical_url])
    found = row.fetchone()
    return found[0] if found else None


def update_item(
    db: Database,
    item: dict[str, Any],
    councils: list[tuple[str, str]] | None = None,
    sketch: dict[str, Any] | None = None,
) -> bool:
    """Replace a stored item's content (and, given `councils`, its council links; given
    `sketch`, its story sketch) with a newer version of the same URL; its old tags are
    dropped so `radar tag --store` classifies the new text. Its date may have changed (a
    page read at last shows one under its headline), so the week it counts in and its
    suspect-date note are decided again, as when it was first found. False if it is not
    stored."""
    with write_transaction(db):
        found = db.execute(
            "select id, first_seen, first_crawl, meta from items where canonical_url = ?",
            [item["canonical_url"]],
        ).fetchone()
        if not found:
            return False
        item_id, first_seen, first_crawl, stored_meta = found
        changes = {k: v for k, v in item.items() if k not in ("id", "canonical_url")}
        if "published" in changes or "date_source" in changes:
            merged = {**item, "first_seen": first_seen or item.get("fetched") or now_iso()}
            before = _meta(stored_meta).get("date_note")
            radar_at, meta = _date_decision(db, merged, bool(first_crawl), before)
            changes.update(radar_at=radar_at, meta=meta)
        db["items"].update(item_id, changes)
        db.execute("delete from flags where item_id = ?", [item_id])
        db.execute("delete from tags where item_id = ?", [item_id])
        if councils is not None:
            db.execute("delete from item_councils where item_id = ?", [item_id])
            db["item_councils"].insert_all(
                ({"item_id": item_id, "gss_code": code, "method": how} for code, how in councils),
                pk=("item_id", "gss_code"),
                ignore=True,
            )
        if sketch:  # a summary has no sketch; the text fetched later (or a new version) has
            db.execute("delete from story_bands where item_id = ?", [item_id])
            save_sketch(db, item_id, item["story_id"], sketch)
        apply_feedback(db, [item_id])  # "not about this council" holds for the new text too
    return True


def meetings_with_minutes(db: Database) -> set[str]:
    """Meeting pages whose minutes were stored, read, by a crawl that ran to the end
    (democracy spiders need not read them again). Minutes kept only as a placeholder (their
    download failed) do not count: the meeting page may yet link another copy.

    Minutes stored by a crawl that was killed or stopped do not count: its other documents
    (reports, decisions) may still be unread, and skipping the meeting would lose them.
    """
    sql = """
        select json_extract(items.meta, '$.meeting_url') as url from items
        join sources on sources.id = items.source_id
        where items.kind = 'minutes' and json_extract(items.meta, '$.meeting_url') is not null
        and sources.last_complete >= items.first_seen and not items.summary_only
    """
    return {row["url"] for row in db.query(sql)}


def find_duplicate(db: Database, canonical_url: str, content_hash: str | None) -> str | None:
    """Id of a stored item with this URL, or with the same text under another URL."""
    found = db.execute(
        "select id from items where canonical_url = ? limit 1", [canonical_url]
    ).fetchone()
    if not found and content_hash:
        found = db.execute(
            "select id from items where content_hash = ? limit 1", [content_hash]
        ).fetchone()
    return found[0] if found else None


def record_alias(db: Database, canonical_url: str, item_id: str, seen_at: str) -> None:
    """Remember that `canonical_url` carries the same text as stored item `item_id`."""
    with write_transaction(db):
        db["url_aliases"].upsert(
            {"canonical_url": canonical_url, "item_id": item_id, "seen_at": seen_at},
            pk="canonical_url",
        )


LATE_DAYS = 90  # a later crawl finding something older than this: a site reorganised, not news
# A news item (from a feed, listing or sitemap) dated more than this many days before a later
# crawl first found it, by a date no reader sees on its page or listing: its date is suspect
# (issue #14: page metadata copied with a template says 2022-12-01 on an article published
# this week), so it counts when it was found.
SUSPECT_DAYS = 90
NEWS_SOURCE_KINDS = ("feed", "listing", "sitemap")
NEWS_DATE_SOURCES = ("headline", "feed", "sitemap", "listing", "url", "page", "updated", "lastmod")
SAYS = {
    "headline": "the page (near its headline)",
    "feed": "the feed",
    "sitemap": "the sitemap",
    "listing": "the listing",
    "url": "the URL",
    "page": "the page's metadata",
    "updated": "the page's last-updated date",
    "lastmod": "the sitemap's lastmod",
}


def dated_news(kind: str | None, date_source: str | None) -> bool:
    """Whether an item is news dated by its source or page (the suspect-date rule applies),
    not a democracy document dated by its meeting (minutes posted late for an old meeting
    follow `radar_time`'s rule). Without a source, its `date_source` decides."""
    if date_source == "meeting":
        return False
    return kind in NEWS_SOURCE_KINDS if kind else date_source in NEWS_DATE_SOURCES


def suspect_date_note(
    published: str | None,
    first_seen: str,
    date_source: str | None,
    crawled_since: str | None = None,
) -> str | None:
    """Why a news item found by a later crawl does not count in the week its date says, or
    None when its date is believable: a date more than SUSPECT_DAYS before the item was
    first found is more likely wrong (template metadata, an event's date in a feed) than an
    old article newly published, and counted by it the item would miss every digest. The
    item keeps its stated `published`; the note says what it says and why it counts when
    found."""
    if not published or published > first_seen:
        return None
    days = (parse_iso(first_seen) - parse_iso(published)).days
    if days <= SUSPECT_DAYS:
        return None
    crawled = f"crawled since {crawled_since[:10]}" if crawled_since else "crawled before"
    return (
        f"{SAYS.get(date_source or '', 'its source')} says {published[:10]}, {days:,} days "
        f"before it was first found ({first_seen[:10]}) on a source {crawled}; "
        "counted in the week it was found"
    )


def radar_time(
    db: Database,
    published: str | None,
    first_seen: str,
    first_crawl: bool = False,
    news: bool = False,
) -> str:
    """When an item counts on the radar: when it was published, so history fills the
    baseline; but an item a later crawl finds only after its week's digest went out counts in
    the week it was found: a Sunday-night story crawled on Monday morning, or minutes posted
    weeks after the meeting they are dated by, must not miss every digest. What a source's
    first crawl finds is history. Items with no date, or a date in the future, count when
    found. A later crawl finding `news` dated over SUSPECT_DAYS before counts it when found
    (its date is suspect: `suspect_date_note`); other items that old are history (a
    democracy site reorganised)."""
    if not published or published > first_seen:
        return first_seen
    when, found = parse_iso(published), parse_iso(first_seen)
    week = "{}-W{:02d}".format(*when.isocalendar()[:2])
    if week == "{}-W{:02d}".format(*found.isocalendar()[:2]):
        return published
    if first_crawl:
        return published
    if news and (found - when).days > SUSPECT_DAYS:
        return first_seen
    if (found - when).days > LATE_DAYS:
        return published
    sent = db.execute(
        "select min(sent_at) from digests where week = ? and sent_at is not null", [week]
    ).fetchone()[0]
    return first_seen if sent and sent <= first_seen else published


def _meta(meta: Any) -> dict[str, Any]:
    """An item's meta as a dict, from the JSON the pipelines store (or a dict)."""
    return json.loads(meta) if isinstance(meta, str) and meta else dict(meta or {})


def _date_decision(
    db: Database, item: dict[str, Any], first_crawl: bool, noted: str | None = None
) -> tuple[str, str]:
    """When an item counts (`radar_time`) and its meta with the suspect-date note it now
    needs, or without one it no longer needs. `noted`: the note it had before (an update),
    so its source's count of suspect dates changes only when the verdict does."""
    source_id = item.get("source_id")
    source = source_state(db, source_id)
    meta = _meta(item.get("meta"))
    meta.pop("date_note", None)
    news = dated_news(source["kind"], item.get("date_source")) and not meta.get("date_shown")
    note = None
    if news and not first_crawl:
        note = suspect_date_note(
            item.get("published"), item["first_seen"], item.get("date_source"), source["since"]
        )
    radar_at = radar_time(db, item.get("published"), item["first_seen"], first_crawl, news)
    if note:
        meta["date_note"] = note
    if source["kind"] and bool(note) != bool(noted):
        title = item.get("title") or item["url"]
        count_suspect_date(db, str(source_id), f"{title}: {note}" if note else None)
    return radar_at, json.dumps(meta)


def insert_item(
    db: Database,
    item: dict[str, Any],
    councils: Iterable[tuple[str, str]],
    sketch: dict[str, Any] | None = None,
) -> bool:
    """Store one item with its council links and story sketch in one transaction (a crash
    leaves all of them or none); False if it already exists. A news item a later crawl
    finds with a suspect date counts when found and says why (`meta.date_note`), and its
    source counts it (`sources.suspect_dates`). A date its page shows near the headline, or
    its listing beside the link (`meta.date_shown`), is believed however old: an old article
    newly reached (a site's archive moved to new addresses, a search feed's old story) is
    history, as it always was; only a date nobody sees is suspect."""
    with write_transaction(db):
        if db.execute("select 1 from items where id = ?", [item["id"]]).fetchone():
            return False
        item = dict(item)
        item["first_seen"] = item.get("first_seen") or item.get("fetched") or now_iso()
        source_id = item.get("source_id")
        first_crawl = bool(source_id) and not source_state(db, source_id)["crawled"]
        item["first_crawl"] = int(first_crawl)
        item["radar_at"], item["meta"] = _date_decision(db, item, first_crawl)
        db["items"].insert(item)
        if source_id:
            db.execute(
                "update sources set last_item_stored = ? where id = ?",
                [item["first_seen"], source_id],
            )
        db["item_councils"].insert_all(
            (
                {"item_id": item["id"], "gss_code": code, "method": method}
                for code, method in councils
            ),
            pk=("item_id", "gss_code"),
            ignore=True,
        )
        if sketch:
            save_sketch(db, item["id"], item["story_id"], sketch)
    return True


def count_items(db: Database) -> int:
    return db["items"].count


def count_flagged(db: Database) -> int:
    """Items with at least one factor flagged."""
    return db.execute("select count(distinct item_id) from flags").fetchone()[0]


def ids_to_tag(db: Database, classifier_version: str, everything: bool = False) -> list[str]:
    """Items with no tags from this classifier version (every item with `everything`)."""
    sql = """
        select items.id from items left join tags on tags.item_id = items.id
        where ? or tags.item_id is null or tags.classifier_version != ?
        order by items.published, items.id
    """
    return [row[0] for row in db.execute(sql, [int(everything), classifier_version])]


def items_by_id(db: Database, ids: list[str]) -> list[dict[str, Any]]:
    """Stored items with the council that published them (`council`, None for media)."""
    marks = ",".join("?" * len(ids))
    rows = db.query(
        f"""select items.*, (select gss_code from item_councils ic where ic.item_id = items.id
                              and ic.method = 'source') as council
            from items where id in ({marks})""",
        ids,
    )
    by_id = {row["id"]: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def replace_named_councils(
    db: Database, item_id: str, codes: Iterable[str], known: Collection[str]
) -> None:
    """Re-link an item to the councils its text names (the publishing council stays).

    Only links to councils in `known` (the watch list the tagger matched against) are
    dropped: tagging with a watch list that lacks some councils never erases their links.
    """
    codes = set(codes)
    existing = {
        row[0]
        for row in db.execute(
            "select gss_code from item_councils where item_id = ? and method = 'name'", [item_id]
        )
    }
    for code in (existing & set(known)) - codes:
        db.execute(
            "delete from item_councils where item_id = ? and gss_code = ? and method = 'name'",
            [item_id, code],
        )
    db["item_councils"].insert_all(
        ({"item_id": item_id, "gss_code": code, "method": "name"} for code in codes - existing),
        pk=("item_id", "gss_code"),
        ignore=True,
    )


def save_tags(
    db: Database, rows: Iterable[dict[str, Any]], known_councils: Collection[str] = ()
) -> int:
    """Replace an item's tags and flags with a new classification result (and, for rows
    with `councils`, its links to the `known_councils` its text names)."""
    count, ids = 0, []
    with write_transaction(db):
        for row in rows:
            db.execute("delete from flags where item_id = ?", [row["item_id"]])
            db["tags"].upsert(
                {
                    "item_id": row["item_id"],
                    "classifier_version": row["classifier_version"],
                    "sentiment": row["sentiment"],
                    "service": int(row["service"]),
                    "scores": json.dumps(row["scores"]),
                    "tagged_at": row["tagged_at"],
                },
                pk="item_id",
            )
            db["flags"].insert_all(
                (
                    {"item_id": row["item_id"], "factor": factor, **flag}
                    for factor, flag in row["flags"].items()
                ),
                pk=("item_id", "factor"),
            )
            if "councils" in row:
                replace_named_councils(db, row["item_id"], row["councils"], known_councils)
            count += 1
            ids.append(row["item_id"])
        apply_feedback(db, ids)  # an adviser's judgement outlives every re-tagging
    return count


def councils_for_items(db: Database, item_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {i: [] for i in item_ids}
    if not item_ids:
        return found
    marks = ",".join("?" for _ in item_ids)
    sql = f"""
        select ic.item_id, c.gss_code, c.name, c.region from item_councils ic
        join councils c on c.gss_code = ic.gss_code where ic.item_id in ({marks})
    """
    for row in db.query(sql, item_ids):
        found[row.pop("item_id")].append(row)
    return found


def flagged_overview(db: Database) -> list[dict[str, Any]]:
    """Every flagged item with its factors and councils, newest first (for the demo's output)."""
    sql = """
        select items.title, items.kind, items.published,
               group_concat(distinct flags.factor) as factors,
               (select group_concat(c.name, ', ') from item_councils ic
                join councils c on c.gss_code = ic.gss_code where ic.item_id = items.id) as councils
        from flags join items on items.id = flags.item_id
        group by items.id order by items.published desc
    """
    return list(db.query(sql))

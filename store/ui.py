"""What `radar ui` serves with Datasette: a faceting view of items, the latest radar, and
the metadata (search, facets, column labels, canned queries) that makes the store browsable."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from store.concerns import CONFIDENTIAL_TABLES
from store.db import write_transaction

# One row per item, the columns a person reads first: date, title (the UI links it to its
# URL), councils and factors (JSON arrays: Datasette facets them with `array`, and the UI
# shows them as chips), each flag's evidence, and a snippet of the text. Then the facets'
# other columns, and last the plumbing: `relevance`, the item's id and URL, items' rowid
# (the items_fts index searches the view through it) and `fts`, the index's own hidden
# column. Joining items_fts lets a search be a MATCH on the view itself (alerts.ui_pages adds
# `fts match :radar_search`), so `relevance` is bm25 weighed as `radar search` weighs it
# (titles five times the text) and the snippet marks the words found; without a search,
# bm25 is 0 (shown empty) and the snippet is the text's opening words.
ITEMS_VIEW = """
select coalesce(items.published, items.first_seen) as published, items.title,
       (select json_group_array(c.name) from item_councils ic
        join councils c on c.gss_code = ic.gss_code where ic.item_id = items.id) as councils,
       (select json_group_array(f.factor) from flags f where f.item_id = items.id) as factors,
       (select json_group_array(f.factor || ': ' || f.evidence
                                || coalesce(' (page ' || f.page || ')', ''))
        from flags f where f.item_id = items.id and coalesce(f.evidence, '') != '') as evidence,
       case when bm25(items_fts) = 0 then substr(items.text, 1, 200)
            || case when length(items.text) > 200 then ' …' else '' end
            else snippet(items_fts, 1, '<mark>', '</mark>', ' … ', 24) end as snippet,
       tags.sentiment, tags.service, items.kind, items.origin,
       sources.kind as source_kind, sources.name as source,
       (select json_group_array(distinct c.region) from item_councils ic
        join councils c on c.gss_code = ic.gss_code where ic.item_id = items.id) as regions,
       substr(coalesce(items.published, items.first_seen), 1, 7) as month,
       nullif(-bm25(items_fts, 5.0, 1.0), 0.0) as relevance,
       items.id, items.url, items.rowid as rowid, items_fts.items_fts as fts
from items
join items_fts on items_fts.rowid = items.rowid
left join sources on sources.id = items.source_id
left join tags on tags.item_id = items.id
"""

# The CLI's order (alerts.scoring.compute_radar): most acute signals first, then priority,
# then name. radar_weeks keeps the signals as one comma-separated string, so they are
# counted, not compared as text ("section_114" would sort above two signals).
RADAR_ORDER = (
    "case when coalesce(acute, '') = '' then 0 "
    "else length(acute) - length(replace(acute, ',', '')) + 1 end desc, "
    "priority desc, council"
)
LATEST_RADAR = (
    "select * from radar_weeks where week = (select max(week) from radar_weeks) "
    f"order by {RADAR_ORDER}"
)

# The home page: this week's radar in brief, every council's names (the timeline box offers
# them), and how many sources are failing.
HOME_RADAR = (
    "select gss_code, council, region, score, trend, acute from radar_weeks "
    f"where week = (select max(week) from radar_weeks) order by {RADAR_ORDER}"
)
COUNCIL_NAMES = "select name, aliases from councils order by name"
FAILING_SOURCES = "select count(*) as n from sources where coalesce(consecutive_failures, 0) > 0"


# Besides the concerns: SQLite's virtual tables that would show the file's raw pages
# (`sqlite_dbpage`, when compiled in), the SQL other users ran on the same connection
# (`sqlite_stmt`), or how many bytes each table's rows take (`dbstat`).
UNREADABLE = ("sqlite_dbpage", "sqlite_stmt", "dbstat")


def is_confidential(table: str) -> bool:
    """A concerns table, or one named after it: an FTS index such as sqlite-utils'
    `concern_events_fts` and its shadow tables would hold the same words."""
    name = table.lower()
    return name in CONFIDENTIAL_TABLES or name.startswith(
        tuple(f"{t}_" for t in CONFIDENTIAL_TABLES)
    )


def ui_authorizer(action: int, table: str | None, *_: Any) -> int:
    """The SQLite authorizer on every connection `radar ui` serves from: a statement that
    would read any column of a confidential table fails to compile ("access to
    concern_events.note is prohibited"), however it got there: a table or row page, JSON or
    CSV, `?sql=`, a canned query, facets, a view, a join, a subquery, a CTE, EXPLAIN.

    SQLite asks before anything runs, for each column read, through views too, and once
    with an empty column for a table only counted; so no URL can get round it, and it needs
    no list of Datasette's URLs. Everything else stays allowed: `sqlite_master` (names and
    schemas, no notes), the PRAGMAs Datasette lists tables, columns and foreign keys with,
    and an sqlite-utils FTS5 index's `_fts_config` table (its settings: SQLite reads them to
    open the index at all, even to list its columns, and Datasette lists every table's).
    """
    if action == sqlite3.SQLITE_READ and table:
        name = table.lower()
        if name in UNREADABLE or (is_confidential(name) and not name.endswith("_fts_config")):
            return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def ensure_ui_views(db: Database) -> None:
    db.create_view("item_browser", ITEMS_VIEW, replace=True)


def save_radar_snapshot(db: Database, rows: list[dict[str, Any]]) -> None:
    """The radar as computed for a week (one row per council on it), for the UI and reports."""
    if not rows:
        return
    with write_transaction(db):
        db.execute("delete from radar_weeks where week = ?", [rows[0]["week"]])
        db["radar_weeks"].insert_all(rows, pk=("week", "gss_code"), replace=True)


CANNED = {
    "radar_this_week": {
        "title": "Councils on the radar this week",
        "description": "The latest radar `radar ui` computed, acute first. Presence on the "
        "radar is not in itself an indication of failure.",
        "sql": LATEST_RADAR,
    },
    "council_timeline": {
        "title": "A council's timeline",
        "description": "Everything stored about one council (its name, official name, an "
        "alias such as Kelderby MBC, or its GSS code), newest first, with its flags and "
        "evidence.",
        "sql": """select coalesce(i.published, i.first_seen) as published, i.title, i.url,
       i.kind, (select group_concat(f.factor || ': ' || f.evidence, ' | ') from flags f
                where f.item_id = i.id) as flags, t.sentiment
from items i join item_councils ic on ic.item_id = i.id
join councils c on c.gss_code = ic.gss_code
left join tags t on t.item_id = i.id
where c.gss_code = :council or lower(c.name) = lower(trim(:council))
   or lower(c.official_name) = lower(trim(:council))
   or exists (select 1 from json_each(case when json_valid(c.aliases) then c.aliases
                                      else '[]' end) a
              where lower(a.value) = lower(trim(:council)))
order by published desc limit 500""",
    },
    "items_by_factor": {
        "title": "Items flagged for a factor",
        "description": "leadership, risky_change, disengagement or finance; strongest first.",
        "sql": """select f.score, coalesce(i.published, i.first_seen) as published, i.title,
       (select group_concat(c.name, ', ') from item_councils ic join councils c
        on c.gss_code = ic.gss_code where ic.item_id = i.id) as councils,
       f.evidence, f.page, i.url
from flags f join items i on i.id = f.item_id
where f.factor = :factor order by f.score desc, published desc limit 500""",
    },
    "source_health": {
        "title": "Source health",
        "description": "Every source, troubled first: failures in a row, last success, error, "
        "news items with suspect dates (counted in the week found) and the latest one's note.",
        "sql": """select name, kind, url, consecutive_failures, last_status, last_attempt,
       last_success, items_found, items_new, last_error, suspect_dates, last_date_note
from sources order by coalesce(consecutive_failures, 0) desc,
       coalesce(last_error, '') = '', name""",
    },
}

COLUMN_LABELS = {
    "item_browser": {
        "published": "Publication date (or when first stored, if the item has none)",
        "month": "Month of publication",
        "kind": "Item kind: news, minutes, report, media, alert",
        "origin": "Where it comes from: council, media, alert, government",
        "source_kind": "Source kind: feed, moderngov, cmis, sitemap, listing",
        "title": "Headline (links to the page itself)",
        "councils": "Councils the item is about",
        "regions": "Regions of those councils",
        "factors": "Failure factors flagged (leadership, risky_change, disengagement, finance)",
        "evidence": "The sentence behind each flag",
        "snippet": "The words a search found, in their text (else the text's opening words)",
        "sentiment": "About the council's situation: negative, neutral or positive",
        "service": "1 if adverse service performance",
        "relevance": "How well the item matches a search (bm25, titles weighing five times "
        "the text): a search is ordered by it",
        "fts": "The full-text index's own column, which a search matches (not data)",
    },
    "radar_weeks": {
        "score": "Sum of the four factor scores (0-4)",
        "baseline": "Mean weekly score over the previous baseline weeks",
        "trend": "new, rising, steady or falling against the baseline",
        "acute": "Acute signals raised that week",
    },
    "flags": {
        "score": "Classifier or rule score (0-1)",
        "evidence": "The sentence that raised the flag",
        "page": "PDF page of the evidence",
        "rule": "The documented rule that fired, if one did",
    },
}


def metadata(database: str, logins: dict[str, str] | None = None) -> dict[str, Any]:
    """Datasette metadata for the store named `database` (the file's stem). `logins` maps
    each user who may sign in to the environment variable holding their password's hash:
    the metadata (which `/-/metadata` shows) names the variable, never the hash."""
    tables: dict[str, Any] = {
        "item_browser": {
            "title": "Items",
            "description": "Every stored item, newest first; a search is ordered by "
            "relevance, best first (sort by published to see it by date).",
            "fts_table": "items_fts",
            "fts_pk": "rowid",
            "searchmode": "raw",
            "sort_desc": "published",
            "facets": [
                {"array": "councils"},
                {"array": "regions"},
                {"array": "factors"},
                "sentiment",
                "source_kind",
                "month",
            ],
            "columns": COLUMN_LABELS["item_browser"],
        },
        "items": {"label_column": "title", "sort_desc": "published"},
        "councils": {"label_column": "name", "facets": ["region", "type"]},
        "radar_weeks": {"title": "The radar by week", "columns": COLUMN_LABELS["radar_weeks"]},
        "flags": {"facets": ["factor"], "columns": COLUMN_LABELS["flags"]},
        "sources": {"label_column": "name", "facets": ["kind"]},
    }
    meta: dict[str, Any] = {
        "title": "Council Radar",
        "description": "Soft intelligence on English councils. Presence on the radar is not "
        "in itself an indication of failure. Confidential.",
        "databases": {database: {"tables": tables, "queries": CANNED}},
    }
    if logins:
        meta["allow"] = {"id": list(logins)}
        meta["plugins"] = {
            "datasette-auth-passwords": {
                **{f"{user}_password_hash": {"$env": var} for user, var in logins.items()},
                "http_basic_auth": True,
            }
        }
    return meta

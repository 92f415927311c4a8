"""Saved searches, Google-Alerts style: new items matching a watch list's saved search are
mailed to its advisers after each crawl, each item once per search.

What is new: items stored after the store first saw the search (its mark, set by its first
check, or by `radar saved add` when the store exists), less what a source's first crawl
found (its history) and less what the search already mailed. So the first check of a
search added by hand only sets its mark: an adviser never gets the back catalogue. A
late-tagged item (a factor filter) or a failed send is caught by a later check, since it is
the items already mailed, not a moving mark, that keeps a check from repeating itself.

Exactly once, as for digests and acute alerts (alerts.deliver, store.saved): each check
writes its message down with its matches before sending, claims it, and marks it sent only
once the SMTP server accepts it; a message whose send failed or whose sender died is sent
again by the next check, with the same matches under the same Message-ID
(`stable_message_id("saved", id)`), which mail services drop or thread as the one
already delivered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sqlite_utils import Database

from alerts.deliver import AlreadySent, write_eml
from alerts.mailer import DeliveryError, build_message, send_message, stable_message_id
from alerts.render import render_saved, saved_subject
from domain.config import SavedSearch, WatchList
from store.saved import (
    claim_mail,
    create_mail,
    mark_checked,
    mark_mail,
    new_matches,
    search_state,
    start_search,
    unsent_mails,
)
from store.search import Filters
from store.times import now_iso, stamp

LISTED = 50  # matches one message lists; the rest are counted, with where to find them


@dataclass
class SearchOutcome:
    """What one check did for one saved search."""

    name: str
    # started (first check: its mark set), sent, nothing (no new matches), failed, busy
    # (another process is sending its message), dry-run
    status: str
    matches: int = 0  # new matches in the messages sent (or written, in a dry run)
    messages: list[str] = field(default_factory=list)  # Message-IDs, or .eml paths
    detail: str = ""  # why it failed


@dataclass
class SavedCheck:
    """One check of every saved search, for `radar saved check` and the crawl job's line."""

    outcomes: list[SearchOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[SearchOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> str:
        if not self.outcomes:
            return "no saved searches"
        sent = sum(len(o.messages) for o in self.outcomes if o.status == "sent")
        matches = sum(o.matches for o in self.outcomes if o.status == "sent")
        text = f"{len(self.outcomes)} checked, {sent} messages sent ({matches} new matches)"
        started = [o.name for o in self.outcomes if o.status == "started"]
        if started:
            text += f", {len(started)} started (mark set)"
        if self.failed:
            text += ", failed: " + "; ".join(f"{o.name}: {o.detail}" for o in self.failed)
        return text


def search_filters(search: SavedSearch) -> Filters:
    """A saved search's filters as `radar search` takes them (an origin is a source kind
    there: media, alert, government, council)."""
    return Filters(
        council=search.council, region=search.region, factor=search.factor,
        source_kind=search.origin,
    )  # fmt: skip


def describe_filters(search: SavedSearch) -> str:
    parts = [("region", search.region), ("council", search.council), ("factor", search.factor),
             ("origin", search.origin)]  # fmt: skip
    return ", ".join(f"{key} {value}" for key, value in parts if value)


def saved_message(watchlist: WatchList, search: SavedSearch, mail: dict[str, Any]) -> EmailMessage:
    """The email for one written-down message of matches, to the search's advisers, under
    the Message-ID its id gives: every send of it is the same message."""
    more = mail["total"] - len(mail["listed"])
    more_url = ""
    if more and watchlist.ui.base_url:
        more_url = (
            f"{watchlist.ui.base_url}/{quote(watchlist.database.stem)}/item_browser?"
            + urlencode({"_search": search.query})
        )
    context = {
        "name": search.name, "query": search.query, "filters": describe_filters(search),
        "listed": mail["listed"], "total": mail["total"], "more": more, "more_url": more_url,
        "checked_at": mail["created_at"],
    }  # fmt: skip
    html, text = render_saved(context, watchlist.schedule.timezone)
    return build_message(
        watchlist.smtp, watchlist.recipients_of(search), saved_subject(search.name, mail["total"]),
        html, text, stable_message_id("saved", mail["id"]),
    )  # fmt: skip


def send_saved_mail(
    db: Database, watchlist: WatchList, search: SavedSearch, mail: dict[str, Any], now: str
) -> str:
    """Send one written-down message: claimed first, marked sent only once the SMTP server
    accepts it. Returns its Message-ID; AlreadySent if another process holds it, and
    DeliveryError (recorded) if the server would not take it."""
    if not claim_mail(db, mail["id"], now):
        raise AlreadySent(f"saved search {search.name!r}: its message is being sent")
    message = saved_message(watchlist, search, mail)
    recipients = watchlist.recipients_of(search)
    try:
        sent = send_message(watchlist.smtp, message, recipients)
    except DeliveryError as exc:
        mark_mail(db, mail["id"], last_error=str(exc))
        raise
    mark_mail(
        db, mail["id"], sent_at=now, message_id=sent.message_id,
        accepted=", ".join(r for r in recipients if r not in sent.refused),
        last_error=f"recipients refused: {', '.join(sent.refused)}" if sent.refused else None,
    )  # fmt: skip
    return sent.message_id


def check_search(
    db: Database, watchlist: WatchList, search: SavedSearch, now: str, outbox: Path | None = None
) -> SearchOutcome:
    """Check one saved search: send any message an earlier check left unsent, then write
    down and send one message of its new matches. With `outbox`, write the messages it
    would send as .eml files there and record nothing (not even its mark)."""
    filters = search_filters(search)
    if outbox is not None:
        return _dry_run(db, watchlist, search, filters, now, outbox)
    if start_search(db, search.name, now):
        mark_checked(db, search.name, now)
        return SearchOutcome(search.name, "started")
    state = search_state(db, search.name) or {"started_at": now}
    outcome = SearchOutcome(search.name, "nothing")
    try:
        for mail in unsent_mails(db, search.name):  # a failure's or a crash's: the same again
            outcome.messages.append(send_saved_mail(db, watchlist, search, mail, now))
            outcome.matches += mail["total"]
        matches = new_matches(db, search.name, search.query, filters, state["started_at"])
        mail = create_mail(db, search.name, watchlist.recipients_of(search), matches, now, LISTED)
        if mail is not None:
            outcome.messages.append(send_saved_mail(db, watchlist, search, mail, now))
            outcome.matches += mail["total"]
    except AlreadySent:
        outcome.status = "busy"
    except Exception as exc:  # noqa: BLE001 - one search's failure is not the others'
        outcome.status, outcome.detail = "failed", f"{exc}"
        mark_checked(db, search.name, now, error=outcome.detail)
        return outcome
    if outcome.messages:
        outcome.status = "sent"
    mark_checked(db, search.name, now)
    return outcome


def _dry_run(
    db: Database,
    watchlist: WatchList,
    search: SavedSearch,
    filters: Filters,
    now: str,
    outbox: Path,
) -> SearchOutcome:
    outcome = SearchOutcome(search.name, "dry-run")
    state = search_state(db, search.name)
    if state is None:
        outcome.detail = "first check: it would only set the search's mark"
        return outcome
    mails = unsent_mails(db, search.name)
    matches = new_matches(db, search.name, search.query, filters, state["started_at"])
    if matches:
        mails.append(
            {"id": f"dry-run-{now}", "created_at": now, "listed": matches[:LISTED],
             "total": len(matches)}
        )  # fmt: skip
    slug = re.sub(r"[^A-Za-z0-9]+", "-", search.name).strip("-") or "search"
    for number, mail in enumerate(mails, 1):
        message = saved_message(watchlist, search, mail)
        path = write_eml(message, outbox, f"saved-{slug}-{number}")
        outcome.messages.append(str(path))
        outcome.matches += mail["total"]
    return outcome


def check_saved_searches(
    db: Database,
    watchlist: WatchList,
    now: datetime | None = None,
    outbox: Path | None = None,
    names: list[str] | None = None,
) -> SavedCheck:
    """Check every saved search in the watch list (or those `names`), each on its own: one
    search's failure is recorded and does not stop the others."""
    moment = stamp(now) if now else now_iso()
    check = SavedCheck()
    for search in watchlist.saved_searches:
        if names and search.name not in names:
            continue
        check.outcomes.append(check_search(db, watchlist, search, moment, outbox))
    return check

"""Build, write and (optionally) send one region's digest, recording it in the store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from alerts.digest import Digest, build_digest
from alerts.mailer import build_message, send_message
from alerts.render import render_digest
from pipelines.normalise import now_iso
from radar.config import WatchList
from store.digests import digest_sent, record_digest


class AlreadySent(Exception):
    pass


@dataclass
class DigestOutcome:
    digest: Digest
    html_path: Path
    text_path: Path
    message_id: str | None = None
    recipients: tuple[str, ...] = ()


def region_slug(region: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", region.lower()).strip("-")


def write_digest(
    db: Database, watchlist: WatchList, region: str, week: str, folder: Path | None = None
) -> DigestOutcome:
    """Render the digest to `<output_dir>/digests/<week>/<region>.html` (and .txt)."""
    digest = build_digest(db, region, week)
    html, text = render_digest(digest)
    folder = folder or watchlist.output_dir / "digests" / week
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"{region_slug(region)}.html"
    text_path = html_path.with_suffix(".txt")
    html_path.write_text(html, encoding="utf-8")
    text_path.write_text(text, encoding="utf-8")
    return DigestOutcome(digest, html_path, text_path)


def send_digest(
    db: Database, watchlist: WatchList, region: str, week: str, resend: bool = False
) -> DigestOutcome:
    """Send to the region's configured advisers only; recorded as sent once SMTP accepts it."""
    if not resend and digest_sent(db, region, week):
        raise AlreadySent(f"the {region} digest for {week} was already sent (use --resend)")
    recipients = [adviser.email for adviser in watchlist.advisers_for(region)]
    if not recipients:
        raise ValueError(f"no advisers are configured for region {region!r} in the watch list")
    outcome = write_digest(db, watchlist, region, week)
    html = outcome.html_path.read_text(encoding="utf-8")
    text = outcome.text_path.read_text(encoding="utf-8")
    message = build_message(watchlist.smtp, recipients, outcome.digest.subject, html, text)
    outcome.message_id = send_message(watchlist.smtp, message, recipients)
    outcome.recipients = tuple(recipients)
    record_digest(
        db, region, week, str(outcome.html_path), now_iso(), outcome.message_id, recipients
    )
    return outcome

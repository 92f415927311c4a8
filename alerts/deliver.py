"""Build, write and deliver digests and acute alerts, recording what the SMTP server accepted.

The store, not the scheduler, guards against sending twice: an adviser's digest (recipient,
week: one email covering all of their regions) or an alert is recorded as sent only after
the SMTP server accepts it, and is never sent again unless asked (`--resend`). A failure is
recorded (`last_error`) and retried on the next run.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from alerts.acute import LABELS
from alerts.digest import Digest, DigestMail, build_digest, digest_mail
from alerts.mailer import DeliveryError, build_message, send_message, stable_message_id
from alerts.render import alert_subject, render_alert, render_digest
from alerts.scoring import shift_week, week_bounds, week_of
from domain.config import DAYS, ScheduleSettings, WatchList
from pipelines.normalise import now_iso
from store.digests import (
    claim_digest,
    digest_due,
    digest_sent,
    mark_due,
    record_digest,
    record_digest_failure,
)
from store.radar import claim_alert, mark_alert, unsent_alerts


class AlreadySent(Exception):
    pass


@dataclass
class DigestOutcome:
    digest: Digest
    html_path: Path
    text_path: Path


def region_slug(region: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", region.lower()).strip("-")


def write_digest(
    db: Database, watchlist: WatchList, region: str, week: str, folder: Path | None = None
) -> DigestOutcome:
    """Render one region's digest alone to `<output_dir>/digests/<week>/<region>.html` (and
    .txt): an admin's preview. What advisers receive is `write_mail`'s, all their regions."""
    week = normal_week(week)
    digest = build_digest(
        db, watchlist.radar, region, week, watchlist.ui.base_url,
        timezone=watchlist.schedule.timezone,
    )  # fmt: skip
    folder = folder or watchlist.output_dir / "digests" / week
    return DigestOutcome(digest, *write_pair(render_digest(digest), folder, region_slug(region)))


def write_pair(parts: tuple[str, str], folder: Path, stem: str) -> tuple[Path, Path]:
    """A digest's HTML and text parts as `<stem>.html` and `<stem>.txt` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"{stem}.html"
    text_path = html_path.with_suffix(".txt")
    html_path.write_text(parts[0], encoding="utf-8")
    text_path.write_text(parts[1], encoding="utf-8")
    return html_path, text_path


def write_eml(message: EmailMessage, outbox: Path, name: str) -> Path:
    """The dry run: the exact message that would have been sent, as a .eml file."""
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{name}.eml"
    path.write_bytes(message.as_bytes())
    return path


@dataclass
class MailOutcome:
    """One adviser's weekly email: written, and sent (or skipped, or written as .eml)."""

    mail: DigestMail
    html_path: Path
    text_path: Path
    status: str = "written"  # written, sent, skipped (an empty week, empty_digest: skip)
    message_id: str | None = None
    outbox_path: Path | None = None


def regions_of(watchlist: WatchList, recipient: str) -> tuple[str, str, list[str]]:
    """(address as configured, name, regions) of the adviser `recipient` (case aside)."""
    for adviser, regions in watchlist.adviser_regions():
        if adviser.email.lower() == recipient.lower():
            return adviser.email, adviser.name, regions
    raise ValueError(f"{recipient!r} is not an adviser of any region in the watch list")


def write_mail(
    db: Database, watchlist: WatchList, recipient: str, week: str, folder: Path | None = None
) -> MailOutcome:
    """Render the adviser's email for `week`, a section per region they cover, to
    `<output_dir>/digests/<week>/<address>.html` (and .txt)."""
    week = normal_week(week)
    address, name, regions = regions_of(watchlist, recipient)
    sections = [
        build_digest(
            db,
            watchlist.radar,
            region,
            week,
            watchlist.ui.base_url,
            timezone=watchlist.schedule.timezone,
        )
        for region in regions
    ]
    mail = digest_mail(sections, address, name)
    folder = folder or watchlist.output_dir / "digests" / week
    return MailOutcome(mail, *write_pair(render_digest(mail), folder, region_slug(address)))


def _refused_for_good(exc: DeliveryError) -> str | None:
    """The address, if the server refused it permanently (a 5xx at RCPT): retrying every
    hour would not change that, so the digest is done, with the refusal recorded."""
    cause = exc.__cause__
    if isinstance(cause, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in cause.recipients.values()
    ):
        return ", ".join(sorted(cause.recipients))
    return None


def send_adviser_digest(
    db: Database,
    watchlist: WatchList,
    recipient: str,
    week: str,
    resend: bool = False,
    outbox: Path | None = None,
) -> MailOutcome:
    """Send the adviser their week: one email, a section per region they cover; recorded as
    sent once SMTP accepts it. An empty week (nothing on the radar in any of their regions)
    is a short "nothing on the radar this week", or with `schedule.empty_digest: skip`
    nothing, recorded as skipped so no later run sends it.

    With `outbox`, write the message there as .eml instead, and record nothing. Otherwise the
    (recipient, week) is claimed first, so a scheduled run and a manual `--send` at the same
    moment cannot both send it.
    """
    week = normal_week(week)
    address, _, regions = regions_of(watchlist, recipient)
    if outbox is None and not resend and not claim_digest(db, address, week, now_iso(), regions):
        raise AlreadySent(
            f"the digest for {address} for {week} was already sent, or is being sent (use --resend)"
        )
    outcome = write_mail(db, watchlist, address, week)
    if outcome.mail.empty and watchlist.schedule.empty_digest == "skip":
        outcome.status = "skipped"
        if outbox is None:
            record_digest(db, address, week, regions, str(outcome.html_path), now_iso(),
                          skipped=True)  # fmt: skip
        return outcome
    html = outcome.html_path.read_text(encoding="utf-8")
    text = outcome.text_path.read_text(encoding="utf-8")
    message_id = None if resend else stable_message_id("digest", address.lower(), week)
    message = build_message(watchlist.smtp, [address], outcome.mail.subject, html, text,
                            message_id)  # fmt: skip
    if outbox is not None:
        outcome.outbox_path = write_eml(message, outbox, f"digest-{week}-{region_slug(address)}")
        return outcome
    try:
        sent = send_message(watchlist.smtp, message, [address])
    except DeliveryError as exc:
        refused = _refused_for_good(exc)
        if refused is None:
            record_digest_failure(db, address, week, str(outcome.html_path), now_iso(), str(exc))
            raise
        record_digest(db, address, week, regions, str(outcome.html_path), now_iso(),
                      error=f"recipient refused: {refused}")  # fmt: skip
        outcome.status = "refused"
        return outcome
    outcome.message_id = sent.message_id
    outcome.status = "sent"
    record_digest(db, address, week, regions, str(outcome.html_path), now_iso(), sent.message_id)
    return outcome


def advisers_of(watchlist: WatchList, region: str) -> list[str]:
    """The addresses whose weekly email covers `region` (each covers their other regions too)."""
    return [adviser.email for adviser in watchlist.advisers_for(region)]


def send_alert(
    db: Database, watchlist: WatchList, alert: dict[str, Any], outbox: Path | None = None
) -> str:
    """Email one acute alert to the advisers of the council's region; returns the Message-ID
    (or the .eml path with `outbox`, which records nothing)."""
    alert = {**alert, "label": LABELS.get(alert["signal"], alert["signal"])}
    recipients = [adviser.email for adviser in watchlist.advisers_for(alert["region"])]
    if not recipients:
        raise ValueError(f"no advisers are configured for region {alert['region']!r}")
    html, text = render_alert(alert, watchlist.schedule.timezone)
    message = build_message(
        watchlist.smtp, recipients, alert_subject(alert), html, text,
        stable_message_id("alert", alert["id"]), urgent=True,
    )  # fmt: skip
    if outbox is not None:
        name = "alert-" + re.sub(r"[^A-Za-z0-9]+", "-", alert["id"]).strip("-")
        return str(write_eml(message, outbox, name))
    if not claim_alert(db, alert["id"], now_iso()):
        raise AlreadySent(f"alert {alert['id']} was already sent, or is being sent")
    try:
        sent = send_message(watchlist.smtp, message, recipients)
    except DeliveryError as exc:
        mark_alert(db, alert["id"], last_error=str(exc), sending_at=None)
        raise
    mark_alert(
        db,
        alert["id"],
        sent_at=now_iso(),
        message_id=sent.message_id,
        recipients=", ".join(r for r in recipients if r not in sent.refused),
        last_error=f"recipients refused: {', '.join(sent.refused)}" if sent.refused else None,
    )
    return sent.message_id


@dataclass
class AlertOutcome:
    alert: dict[str, Any]
    # sent, waiting (no advisers for its region yet), busy (another sender), failed; and
    # unsent, for a listing that sends nothing
    status: str
    detail: str = ""  # the Message-ID or .eml path; or why it failed


def send_alerts(
    db: Database, watchlist: WatchList, outbox: Path | None = None
) -> list[AlertOutcome]:
    """Send every unsent acute alert to its region's advisers (with `outbox`, write each as
    an .eml file instead and record nothing). An alert for a region without advisers waits
    until it has some; one alert's failure is recorded and does not stop the others."""
    outcomes = []
    for alert in unsent_alerts(db):
        if not watchlist.advisers_for(alert["region"]):
            outcomes.append(AlertOutcome(alert, "waiting"))
            continue
        try:
            outcomes.append(AlertOutcome(alert, "sent", send_alert(db, watchlist, alert, outbox)))
        except AlreadySent:
            outcomes.append(AlertOutcome(alert, "busy"))
        except Exception as exc:  # noqa: BLE001 - one alert's failure is not the others'
            outcomes.append(AlertOutcome(alert, "failed", str(exc)))
    return outcomes


def last_slot(schedule: ScheduleSettings, now: datetime | None = None) -> datetime:
    """The latest digest slot (e.g. Monday 07:00 Europe/London) at or before `now`."""
    zone = ZoneInfo(schedule.timezone)
    local = (now or datetime.now(UTC)).astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    clock = time.fromisoformat(schedule.digest_at)
    slot = datetime.combine(monday + timedelta(days=DAYS.index(schedule.digest_day)), clock, zone)
    return slot if local >= slot else slot - timedelta(days=7)


def due_week(schedule: ScheduleSettings, now: datetime | None = None) -> str:
    """The week whose digest is due: the digest slot of week X sends week X-1."""
    return shift_week(week_of(last_slot(schedule, now).date()), -1)


@dataclass
class Delivery:
    """What one delivery run did, for the job log and `radar status`."""

    week: str
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # empty weeks not sent, refused addresses

    def summary(self) -> str:
        text = f"{len(self.sent)} sent"
        if self.skipped:
            text += f", {len(self.skipped)} not sent: " + "; ".join(self.skipped)
        if self.failed:
            text += f", {len(self.failed)} failed: " + "; ".join(self.failed)
        return text


def deliver_pending(
    db: Database,
    watchlist: WatchList,
    now: datetime | None = None,
    digests: bool = True,
    retry_only: bool = False,
) -> Delivery:
    """Send each adviser the due week's digest, if not yet sent (with `retry_only`, only those
    whose sending already failed once), and every acute alert not yet sent. Failures are
    recorded and left for the next run; nothing already accepted by the SMTP server is sent
    again."""
    week = due_week(watchlist.schedule, now)
    delivery = Delivery(week)
    advisers = {adviser.email: regions for adviser, regions in watchlist.adviser_regions()}
    if digests and not retry_only:
        # Mark every adviser's digest as due before sending any: if this run dies half-way,
        # the next run's retry knows which ones were never sent.
        mark_due(db, advisers, week, now_iso())
    if digests:
        for address in advisers:
            if digest_sent(db, address, week):
                continue
            if retry_only and not digest_due(db, address, week):
                continue
            try:
                outcome = send_adviser_digest(db, watchlist, address, week)
            except AlreadySent:
                continue  # being sent by another process right now
            except Exception as exc:  # noqa: BLE001 - one adviser's failure is not the others'
                record_digest_failure(db, address, week, "", now_iso(), f"{exc}")
                delivery.failed.append(f"digest {address} {week}: {exc}")
                continue
            if outcome.status == "sent":
                delivery.sent.append(f"digest {address} {week}")
            else:
                delivery.skipped.append(f"digest {address} {week}: {outcome.status}")
    for outcome in send_alerts(db, watchlist):  # one waiting is listed by `radar alerts`
        if outcome.status == "sent":
            delivery.sent.append(f"alert {outcome.alert['id']}")
        elif outcome.status == "failed":
            delivery.failed.append(f"alert {outcome.alert['id']}: {outcome.detail}")
    return delivery


def normal_week(week: str) -> str:
    """'2026-w48' and '2026-W5' as the store keys them: '2026-W48', '2026-W05'."""
    return week_of(week_bounds(week)[0])

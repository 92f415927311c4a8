"""Send digests with smtplib: the SMTP server's acceptance is what makes a digest 'sent'."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from domain.config import SmtpSettings

# Hosts where a password sent without TLS never leaves the machine (a local relay or the sink).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class DeliveryError(Exception):
    def __init__(self, host: str, port: int, reason: str):
        super().__init__(f"SMTP {host}:{port}: {reason}")


MESSAGE_ID_DOMAIN = "council-radar.example.org"


def stable_message_id(*parts: str) -> str:
    """One Message-ID for one digest (region, week) or one alert, whichever send carries it.

    The store cannot close one gap: a message the SMTP server accepted in the instant before
    a crash, before the store recorded it, is sent again after the restart. Sent again under
    the same Message-ID, it is recognisably the same message: Gmail and Exchange Online
    discard a second delivery of a Message-ID already in the mailbox, and any client or
    mail log can thread or drop it."""
    # 24 hex digits: short enough that the header is never folded onto a second line
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
    return f"<{parts[0]}.{digest}@{MESSAGE_ID_DOMAIN}>"


def build_message(
    smtp: SmtpSettings,
    recipients: list[str],
    subject: str,
    html: str,
    text: str,
    message_id: str | None = None,
    urgent: bool = False,
) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML preferred by mail clients.
    `message_id`: `stable_message_id`'s, or a new one (a deliberate resend is a new message).
    `urgent` (acute alerts, never digests) marks it high importance in the three headers
    clients read: `Importance` (Outlook, Exchange), `X-Priority` (Thunderbird, Apple Mail)
    and RFC 2156's `Priority`. A weekly digest marked so would teach advisers to ignore it."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain=MESSAGE_ID_DOMAIN)
    if urgent:
        message["Importance"] = "high"
        message["X-Priority"] = "1"
        message["Priority"] = "urgent"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    """A verifying client context (hostname + chain) that also trusts `smtp.cafile` if set.

    `create_default_context(cafile=...)` would trust only that file; loading it afterwards adds
    the private CA to the system's trust instead of replacing it.
    """
    context = ssl.create_default_context()
    if smtp.cafile:
        context.load_verify_locations(cafile=str(smtp.cafile))
    return context


def _is_loopback(host: str) -> bool:
    return host.strip("[]").lower() in LOOPBACK_HOSTS


def _scrub(reason: str, secret: str | None) -> str:
    """Belt and braces: a server or library echoing the password must not put it in a log."""
    return reason.replace(secret, "***") if secret else reason


@dataclass(frozen=True)
class Sent:
    """What the SMTP server accepted: the message, for all recipients but `refused`."""

    message_id: str
    refused: tuple[str, ...] = ()


def send_message(smtp: SmtpSettings, message: EmailMessage, recipients: list[str]) -> Sent:
    """Deliver `message` to exactly `recipients`; returns once the server has accepted it.

    A server that accepts the message for some recipients and refuses others has delivered
    it: that is a send (with the refused addresses), not a failure to retry, or the accepted
    advisers would get it again every hour. The password is only ever sent over TLS (implicit
    `ssl` or a successful STARTTLS), except to a loopback host, where clear text never crosses
    a network; digests are confidential, so neither is mail sent in clear to another host
    unless `smtp.allow_unencrypted` says so. A configured STARTTLS the server does not offer
    is an error, not a silent downgrade to clear text.
    """
    username, password = smtp.username, smtp.password
    login = bool(username and password)
    clear = not (smtp.ssl or smtp.starttls) and not _is_loopback(smtp.host)
    if clear and not login and not smtp.allow_unencrypted:
        raise DeliveryError(
            smtp.host,
            smtp.port,
            "refusing to send confidential mail unencrypted to a non-loopback host; set "
            "smtp.starttls or smtp.ssl (or smtp.allow_unencrypted for a trusted relay)",
        )
    if login and clear:
        # Checked before connecting: nothing, not even the username, goes out in clear.
        raise DeliveryError(
            smtp.host,
            smtp.port,
            "refusing to send the SMTP password unencrypted to a non-loopback host; "
            "set smtp.starttls (port 587) or smtp.ssl (port 465)",
        )
    try:
        if smtp.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=tls_context(smtp)
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        try:
            if smtp.starttls:
                try:
                    client.starttls(context=tls_context(smtp))
                except smtplib.SMTPNotSupportedError as exc:
                    raise DeliveryError(
                        smtp.host,
                        smtp.port,
                        "starttls is configured but the server does not offer STARTTLS; "
                        "not sending in clear text",
                    ) from exc
            if username and password:
                client.login(username, password)
            refused = client.send_message(message, to_addrs=recipients)
        except BaseException:
            client.close()
            raise
    except (OSError, smtplib.SMTPException) as exc:
        reason = _scrub(str(exc) or type(exc).__name__, password)
        raise DeliveryError(smtp.host, smtp.port, reason) from exc
    # Accepted: a failed QUIT or a dropped connection now must not turn it into a resend.
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()
    return Sent(str(message["Message-ID"]), tuple(sorted(refused)))

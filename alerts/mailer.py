"""Send digests with smtplib: the SMTP server's acceptance is what makes a digest 'sent'."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from radar.config import SmtpSettings


class DeliveryError(Exception):
    def __init__(self, host: str, port: int, reason: str):
        super().__init__(f"SMTP {host}:{port}: {reason}")


def build_message(
    smtp: SmtpSettings, recipients: list[str], subject: str, html: str, text: str
) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML preferred by mail clients."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="council-radar.example.org")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_message(smtp: SmtpSettings, message: EmailMessage, recipients: list[str]) -> str:
    """Deliver `message` to exactly `recipients`; returns its Message-ID once accepted."""
    try:
        if smtp.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.starttls and not smtp.ssl:
                client.starttls(context=ssl.create_default_context())
            if smtp.username and smtp.password:
                client.login(smtp.username, smtp.password)
            refused = client.send_message(message, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(smtp.host, smtp.port, str(exc) or type(exc).__name__) from exc
    if refused:
        raise DeliveryError(smtp.host, smtp.port, f"recipients refused: {sorted(refused)}")
    return str(message["Message-ID"])

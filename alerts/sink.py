"""A real SMTP server on loopback (aiosmtpd) that saves every message it accepts as .eml.

Used by `radar demo` and the tests in place of a mail relay: the mailer speaks real SMTP to it.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _SaveToFolder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.envelopes: list[list[str]] = []  # RCPT TO of each message, in order

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        self.envelopes.append(list(envelope.rcpt_tos))
        first = envelope.rcpt_tos[0].split("@")[0] if envelope.rcpt_tos else "nobody"
        path = self.folder / f"{self.count:03d}-{first}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start with `with SmtpSink(folder) as sink:`; `sink.port` is where to send."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.handler = _SaveToFolder(self.folder)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    def recipients(self) -> list[list[str]]:
        """The envelope recipients of each message accepted, in the order of `messages()`:
        who it really went to, whatever its headers say."""
        return list(self.handler.envelopes)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

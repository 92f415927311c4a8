"""The mailer against a real aiosmtpd server on loopback: STARTTLS, implicit TLS and AUTH.

A throwaway CA (trustme) signs the server's certificate for 127.0.0.1, so verification is real:
trusting it takes `smtp.cafile`, and without it the handshake must fail. Nothing leaves loopback.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alerts.mailer import DeliveryError, build_message, send_message
from alerts.sink import free_port
from domain.config import SmtpSettings

USERNAME = "radar-bot"
PASSWORD = "s3cret-Pa55word!"
RECIPIENTS = ["alice@example.org", "bob@example.net"]


class Recorder:
    """Handler that keeps every accepted envelope and whether its transport was TLS."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.tls: list[bool] = []
        self.starttls_sessions: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        self.tls.append(server.transport.get_extra_info("ssl_object") is not None)
        self.starttls_sessions.append(bool(session.ssl))
        return "250 OK"


class Authenticator:
    """Accepts only USERNAME/PASSWORD; records every attempt and whether it arrived over TLS."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.over_tls: list[bool] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.seen.append((login, password))
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        # handled=False: let aiosmtpd send the 535 itself on failure.
        return AuthResult(success=(login, password) == (USERNAME, PASSWORD), handled=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_ctx(ca: trustme.CA) -> ssl.SSLContext:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return ctx


@pytest.fixture
def cafile(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADAR_SMTP_USERNAME", USERNAME)
    monkeypatch.setenv("RADAR_SMTP_PASSWORD", PASSWORD)


@pytest.fixture(autouse=True)
def no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RADAR_SMTP_USERNAME", raising=False)
    monkeypatch.delenv("RADAR_SMTP_PASSWORD", raising=False)


class Server:
    def __init__(self, controller: Controller, handler: Recorder, auth: Authenticator):
        self.controller, self.handler, self.auth = controller, handler, auth
        self.port: int = controller.port


def _serve(**kwargs: Any) -> Iterator[Server]:
    handler, auth = Recorder(), Authenticator()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), authenticator=auth, **kwargs
    )
    controller.start()
    try:
        yield Server(controller, handler, auth)
    finally:
        controller.stop()


@pytest.fixture
def starttls_server(server_ctx: ssl.SSLContext) -> Iterator[Server]:
    yield from _serve(tls_context=server_ctx, require_starttls=True, auth_require_tls=True)


@pytest.fixture
def implicit_tls_server(server_ctx: ssl.SSLContext) -> Iterator[Server]:
    # aiosmtpd's auth_require_tls only recognises STARTTLS and would hide AUTH on an implicit-TLS
    # socket; the Authenticator's `over_tls` checks the password really went over TLS instead.
    yield from _serve(ssl_context=server_ctx, auth_require_tls=False)


@pytest.fixture
def plain_server() -> Iterator[Server]:
    # No TLS at all; AUTH allowed in clear so the loopback exemption can be exercised.
    yield from _serve(auth_require_tls=False)


def _send(smtp: SmtpSettings, recipients: list[str] = RECIPIENTS) -> str:
    message = build_message(smtp, recipients, "Digest", "<p>hello</p>", "hello")
    return send_message(smtp, message, recipients).message_id


def _settings(port: int, **kwargs: Any) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, timeout=5.0, **kwargs)


def test_starttls_login_and_delivery(
    starttls_server: Server, cafile: Path, credentials: None
) -> None:
    message_id = _send(_settings(starttls_server.port, starttls=True, cafile=cafile))
    handler = starttls_server.handler
    assert len(handler.envelopes) == 1
    assert handler.tls == [True]
    assert handler.starttls_sessions == [True]  # upgraded in-session, not implicit TLS
    assert starttls_server.auth.seen == [(USERNAME, PASSWORD)]
    assert starttls_server.auth.over_tls == [True]
    content = handler.envelopes[0].original_content or handler.envelopes[0].content
    assert message_id.encode() in content


def test_envelope_recipients_are_exactly_those_passed(
    starttls_server: Server, cafile: Path, credentials: None
) -> None:
    smtp = _settings(starttls_server.port, starttls=True, cafile=cafile)
    # The To: header names both; the envelope must carry only the one passed to send_message.
    message = build_message(smtp, RECIPIENTS, "Digest", "<p>hi</p>", "hi")
    send_message(smtp, message, ["carol@example.com"])
    assert starttls_server.handler.envelopes[0].rcpt_tos == ["carol@example.com"]
    _send(smtp, RECIPIENTS)
    assert starttls_server.handler.envelopes[1].rcpt_tos == RECIPIENTS


def test_implicit_tls_delivery(
    implicit_tls_server: Server, cafile: Path, credentials: None
) -> None:
    _send(_settings(implicit_tls_server.port, ssl=True, cafile=cafile))
    handler = implicit_tls_server.handler
    assert len(handler.envelopes) == 1
    assert handler.tls == [True]
    assert handler.envelopes[0].rcpt_tos == RECIPIENTS
    assert implicit_tls_server.auth.seen == [(USERNAME, PASSWORD)]
    assert implicit_tls_server.auth.over_tls == [True]


def test_untrusted_certificate_is_refused(starttls_server: Server, credentials: None) -> None:
    with pytest.raises(DeliveryError, match="(?i)certificate verify failed"):
        _send(_settings(starttls_server.port, starttls=True))
    assert starttls_server.handler.envelopes == []
    assert starttls_server.auth.seen == []  # the password never went out


def test_untrusted_certificate_is_refused_implicit_tls(implicit_tls_server: Server) -> None:
    with pytest.raises(DeliveryError, match="(?i)certificate verify failed"):
        _send(_settings(implicit_tls_server.port, ssl=True))
    assert implicit_tls_server.handler.envelopes == []


def test_wrong_password_fails_without_leaking_it(
    starttls_server: Server, cafile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "not-the-Right-0ne"
    monkeypatch.setenv("RADAR_SMTP_USERNAME", USERNAME)
    monkeypatch.setenv("RADAR_SMTP_PASSWORD", wrong)
    with pytest.raises(DeliveryError) as info:
        _send(_settings(starttls_server.port, starttls=True, cafile=cafile))
    assert "535" in str(info.value)
    assert wrong not in str(info.value)
    assert wrong not in repr(info.value)
    assert (USERNAME, wrong) in starttls_server.auth.seen
    assert starttls_server.handler.envelopes == []


def test_starttls_required_but_not_offered(plain_server: Server, credentials: None) -> None:
    with pytest.raises(DeliveryError, match="does not offer STARTTLS") as info:
        _send(_settings(plain_server.port, starttls=True))
    assert PASSWORD not in str(info.value)
    assert plain_server.auth.seen == []
    assert plain_server.handler.envelopes == []


def test_plain_login_allowed_on_loopback(plain_server: Server, credentials: None) -> None:
    _send(_settings(plain_server.port))
    assert plain_server.auth.seen == [(USERNAME, PASSWORD)]
    assert plain_server.auth.over_tls == [False]
    assert plain_server.handler.tls == [False]
    assert plain_server.handler.envelopes[0].rcpt_tos == RECIPIENTS


@pytest.mark.parametrize("host", ["mail.example.org", "192.0.2.10", "127.0.0.2"])
def test_plain_login_refused_off_loopback(
    host: str, credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_connect(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("must refuse before connecting")

    monkeypatch.setattr(smtplib, "SMTP", no_connect)
    smtp = SmtpSettings(host=host, port=25)
    with pytest.raises(DeliveryError, match="unencrypted") as info:
        _send(smtp)
    assert PASSWORD not in str(info.value)


def test_no_credentials_plain_send_unchanged(plain_server: Server) -> None:
    _send(_settings(plain_server.port))
    assert plain_server.auth.seen == []
    assert plain_server.handler.envelopes[0].rcpt_tos == RECIPIENTS


@pytest.mark.parametrize("host", ["mail.example.org", "192.0.2.10"])
def test_confidential_mail_is_not_sent_in_clear_off_loopback(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_connect(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("connected")

    monkeypatch.setattr(smtplib, "SMTP", no_connect)
    with pytest.raises(DeliveryError, match="confidential mail unencrypted"):
        _send(SmtpSettings(host=host, port=25))
    with pytest.raises(AssertionError, match="connected"):  # a trusted relay, said so
        _send(SmtpSettings(host=host, port=25, allow_unencrypted=True))

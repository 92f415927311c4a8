"""Access and confidentiality: mail goes only to the advisers configured for the region, never
to an address found in scraped content; secrets live only in the environment, are refused in
the watch list, and never appear in output, the store or the mail."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.utils import format_datetime, getaddresses
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from conftest import run_radar
from test_digest import own_copy

from alerts.sink import SmtpSink
from demo.server import LoopbackServer, reply
from domain.config import load_watchlist

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

SCRAPED = ("ceo@croydon.example", "leader@croydon.example", "attacker@evil.example")
ARTICLE = """<html><head><title>Croydon Council issues section 114 notice</title></head><body>
<article><h1>Croydon Council issues section 114 notice</h1>
<p>Croydon Council's chief finance officer has issued a section 114 notice, halting all new
spending after the council found it cannot balance its budget this year.</p>
<p>Residents with questions should email the chief executive at ceo@croydon.example or
<a href="mailto:leader@croydon.example?cc=attacker@evil.example&bcc=attacker@evil.example">
write to the leader</a>. Forward this to adviser.northwest@example.org and
attacker@evil.example.</p>
<p>To: attacker@evil.example<br>Bcc: attacker@evil.example</p>
</article></body></html>"""


def feed(base: str) -> bytes:
    now = format_datetime(datetime.now(UTC))
    items = [
        ("Croydon Council issues section 114 notice", "/s114.html"),
        # a title carrying a header injection: CR LF then Bcc
        ("Croydon budget gap grows&#13;&#10;Bcc: attacker@evil.example", "/gap.html"),
    ]
    entries = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><pubDate>{now}</pubDate>"
        "<description>Contact ceo@croydon.example. Reply-To: attacker@evil.example</description>"
        "</item>"
        for title, path in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Croydon news</title>'
        f"<link>{base}/</link>{entries}</channel></rss>"
    ).encode()


class HostileSite(LoopbackServer):
    """A council news feed on loopback whose stories are full of email addresses."""

    def __init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/rss.xml":
                    reply(self, 200, feed(site.base_url), "application/rss+xml")
                elif self.path in ("/s114.html", "/gap.html"):
                    reply(self, 200, ARTICLE.encode(), "text/html; charset=utf-8")
                else:
                    reply(self, 404, b"", "text/plain")

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler)


def test_mail_goes_only_to_configured_advisers_never_to_scraped_addresses(tagged, tmp_path):
    with HostileSite() as site, SmtpSink(tmp_path / "mail") as sink:
        path = Path(own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": sink.port}))
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["councils"].append(
            {
                "gss_code": "E09000008",
                "sources": [{"kind": "feed", "url": f"{site.base_url}/rss.xml"}],
            }
        )
        data.setdefault("crawl", {})["allow_private"] = ["127.0.0.1"]
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        week = datetime.now(UTC).strftime("%G-W%V")
        run_radar("crawl", "-q", "-w", str(path))
        run_radar("tag", "--store", "-w", str(path))
        run_radar("alerts", "--send", "-w", str(path))
        run_radar("digest", "--all-regions", "--week", week, "--send", "-w", str(path))
        messages = [
            email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sink.messages()
        ]
        envelopes = sink.recipients()

    config = load_watchlist(path)
    configured = {a.email for region in config.regions.values() for a in region.advisers}
    london = {a.email for a in config.advisers_for("London")}
    about_croydon = [
        (m, rcpts)
        for m, rcpts in zip(messages, envelopes, strict=True)
        if "Croydon" in m.as_string()
    ]
    assert about_croydon, "the Croydon alert and London digest were not sent"
    assert any("section 114" in m["Subject"].lower() for m, _ in about_croydon)
    for message, recipients in zip(messages, envelopes, strict=True):
        assert set(recipients) <= configured
        headers = " ".join(str(message[h] or "") for h in ("To", "Cc", "Bcc", "Reply-To", "From"))
        assert not any(address in headers for address in SCRAPED)
        assert message["Bcc"] is None and message["Cc"] is None
        assert {a for _, a in getaddresses([str(message["To"])])} == set(recipients)
    for _message, recipients in about_croydon:
        assert set(recipients) == london  # not the North West adviser the story names
    assert not any(address in " ".join(sum(envelopes, [])) for address in SCRAPED)


def test_a_watch_list_holding_a_secret_is_refused_without_repeating_it(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        "smtp:\n"
        "  host: smtp.example.org\n"
        "  password: hunter2-Secret\n"
        "sources:\n"
        '  - {kind: feed, url: "https://bob:hunter3-Secret@example.org/rss", origin: media}\n'
        "ui:\n"
        "  api_key: hunter4-Secret\n",
        encoding="utf-8",
    )
    for command in (["watch", "check"], ["crawl"], ["status"]):
        result = run_radar(*command, "-w", str(path), check=False)
        assert result.returncode == 2
        message = " ".join(result.stderr.split())
        assert f"{path}:3: smtp.password: secrets are never kept in the watch list" in message
        assert f"{path}:5: sources.0.url: a URL with a password" in message
        assert f"{path}:7: ui.api_key" in message
        assert "RADAR_SMTP_PASSWORD" in message
        assert "Secret" not in result.stdout + result.stderr
    # An edit that would write one in is refused too, and the file is left as it was.
    clean = tmp_path / "clean.yaml"
    clean.write_text("include_england: true\n", encoding="utf-8")
    added = run_radar(
        "watch", "add", "--source", "https://u:p4ss@example.org/rss", "--origin", "media",
        "-w", str(clean), check=False,
    )  # fmt: skip
    assert added.returncode == 2 and "password" in added.stderr
    assert clean.read_text(encoding="utf-8") == "include_england: true\n"


def test_secrets_from_the_environment_never_reach_output_store_or_mail(tagged, tmp_path):
    import os

    smtp_secret, ui_secret = "Smtp-pa55-XYZZY", "Ui-pa55-PLUGH"
    env = {"RADAR_SMTP_USERNAME": "radar", "RADAR_SMTP_PASSWORD": smtp_secret}
    with SmtpSink(tmp_path / "mail") as sink:
        path = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": sink.port})
        os.environ.update(env, RADAR_UI_PASSWORD=ui_secret)
        try:
            results = [
                run_radar("digest", "--all-regions", "--send", "-w", path, check=False),
                run_radar("alerts", "--send", "-w", path, check=False),
                run_radar("status", "-w", path, check=False),
                run_radar("watch", "check", "-w", path, check=False),
            ]
        finally:
            for name in (*env, "RADAR_UI_PASSWORD"):
                os.environ.pop(name, None)
        mail = b"".join(p.read_bytes() for p in sink.messages())
    # the sink offers no AUTH, so the login is refused: the error must not carry the password
    assert any(r.returncode != 0 for r in results[:2])
    for result in results:
        assert smtp_secret not in result.stdout + result.stderr
        assert ui_secret not in result.stdout + result.stderr
    store = (tmp_path / "radar.db").read_bytes()
    for secret in (smtp_secret, ui_secret):
        assert secret.encode() not in store and secret.encode() not in mail

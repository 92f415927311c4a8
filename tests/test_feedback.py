"""Advisers' feedback: a dismissed false alarm leaves the radar and the next digest at once,
survives re-tagging, and becomes training data."""

from __future__ import annotations

import email
import json
import re
import shutil
from email import policy
from urllib.parse import urlencode

import pytest
import yaml
from conftest import rows, run_radar
from markupsafe import escape
from test_ui import fetch, opener, serve  # noqa: F401, F811  (serve: the fixture)

from alerts.digest import current_week
from alerts.sink import SmtpSink
from classifiers.train import feedback_examples
from domain.config import FACTORS
from store import open_db
from store.feedback import training_rows

WEEK = current_week()


@pytest.fixture()
def judged(tagged, tmp_path):
    """This test's own copy of the tagged demo store, sending to an SMTP sink on loopback."""
    sink = SmtpSink(tmp_path / "mail")
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(
        smtp={"host": "127.0.0.1", "port": sink.port},
        database=str(tmp_path / "radar.db"),
        output_dir=str(tmp_path / "out"),
    )
    path = tmp_path / "watchlist.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with sink:
        yield str(path), tmp_path / "radar.db", sink


def on_radar(watchlist: str) -> dict[str, dict]:
    result = run_radar("radar", "--week", WEEK, "--json", "-w", watchlist)
    return {row["council"]: row for row in map(json.loads, result.stdout.splitlines())}


def digest_text(watchlist: str, sink: SmtpSink, region: str) -> str:
    run_radar("digest", "--week", WEEK, "--region", region, "--send", "--resend", "-w", watchlist)
    latest = sorted(sink.messages())[-1]
    message = email.message_from_bytes(latest.read_bytes(), policy=policy.default)
    return message.get_body(("plain",)).get_content()


def test_a_dismissed_false_alarm_leaves_the_radar_and_the_next_digest(judged):
    watchlist, db_path, sink = judged
    before = on_radar(watchlist)
    # the council on the radar this week with the fewest flagged items: dismiss them all
    flagged = rows(
        db_path,
        """select c.name, c.region, f.item_id, f.factor from flags f
           join items i on i.id = f.item_id join item_councils ic on ic.item_id = i.id
           join councils c on c.gss_code = ic.gss_code""",
    )
    per_council: dict[str, list[dict]] = {}
    for row in flagged:
        if row["name"] in before:
            per_council.setdefault(row["name"], []).append(row)
    council, its_flags = min(per_council.items(), key=lambda kv: len(kv[1]))
    region = its_flags[0]["region"]
    assert council in digest_text(watchlist, sink, region)

    for row in its_flags:
        result = run_radar(
            "feedback", row["item_id"], "--not-factor", row["factor"],
            "--by", "Ann Adviser", "--note", "routine", "-w", watchlist,
        )  # fmt: skip
        assert "Recorded" in result.stdout
    assert council not in on_radar(watchlist)  # at once: no re-tagging needed
    assert council not in digest_text(watchlist, sink, region)

    # the judgement is signed and dated, and a newer classifier run does not undo it
    recorded = rows(db_path, "select * from feedback")
    assert {r["adviser"] for r in recorded} == {"Ann Adviser"}
    assert all(r["at"] and r["verdict"] == "not_factor" and r["evidence"] for r in recorded)
    run_radar("retag", "--all", "-w", watchlist)
    assert council not in on_radar(watchlist)

    # and `radar train` reads it: the dismissed passage, without the factor
    db = open_db(db_path)
    examples = feedback_examples(training_rows(db))
    db.close()
    dismissed = {(r["item_id"], r["factor"]) for r in its_flags}
    for item_id, factor in dismissed:
        mine = [e for e in examples if e["id"].startswith(f"feedback:{item_id}")]
        assert mine and all(factor not in e["factors"] for e in mine)
        evidence = next(r["evidence"] for r in recorded if r["item_id"] == item_id)
        assert any(evidence in e["text"] for e in mine)


def test_feedback_names_the_adviser_and_refuses_what_it_cannot_record(judged, monkeypatch):
    watchlist, db_path, _ = judged
    item = rows(db_path, "select item_id from flags limit 1")[0]["item_id"]
    monkeypatch.delenv("RADAR_ADVISER", raising=False)
    unsigned = run_radar("feedback", item, "--not-factor", "finance", "-w", watchlist, check=False)
    assert unsigned.returncode == 2 and "--by" in unsigned.stderr
    bad = run_radar("feedback", item, "--not-factor", "money", "--by", "A", "-w", watchlist,
                    check=False)  # fmt: skip
    assert bad.returncode == 2 and "Unknown factor money" in bad.stderr
    missing = run_radar("feedback", "no-such-item", "--factor", "finance", "--by", "A",
                        "-w", watchlist, check=False)  # fmt: skip
    assert missing.returncode == 2 and "no-such-item" in missing.stderr
    assert "Traceback" not in unsigned.stderr + bad.stderr + missing.stderr
    assert rows(db_path, "select count(*) as n from feedback")[0]["n"] == 0


def test_the_latest_judgement_wins_and_restores_a_missed_factor(judged):
    watchlist, db_path, _ = judged
    item = rows(
        db_path,
        """select i.id from items i where not exists
           (select 1 from flags f where f.item_id = i.id) and i.title != '' limit 1""",
    )[0]["id"]
    run_radar("feedback", item, "--factor", "finance", "--by", "Bo", "-w", watchlist)
    flag = rows(db_path, "select * from flags where item_id = ?", [item])
    assert [(f["factor"], f["rule"]) for f in flag] == [("finance", "adviser")]
    run_radar("feedback", item, "--not-factor", "finance", "--sentiment", "positive",
              "--by", "Cy", "-w", watchlist)  # fmt: skip
    assert rows(db_path, "select * from flags where item_id = ?", [item]) == []
    assert rows(db_path, "select sentiment from tags where item_id = ?", [item]) == [
        {"sentiment": "positive"}
    ]
    listed = run_radar("feedback", item, "-w", watchlist).stdout
    assert "Bo" in listed and "Cy" in listed and "not factor finance" in listed


def test_the_ui_takes_feedback_only_from_a_signed_in_adviser(serve, tagged):  # noqa: F811
    flag = rows(tagged["db_path"], "select item_id, factor, evidence from flags limit 1")[0]
    page = f"/-/feedback/{flag['item_id']}?not_factor={flag['factor']}"
    open_ui = serve().removesuffix("/radar")
    status, body = fetch(opener(), open_ui + page)
    assert status == 403 and "RADAR_UI_PASSWORD" in body  # no login, no feedback

    signed = serve(env={"RADAR_UI_PASSWORD": "s3cret"}).removesuffix("/radar")
    assert fetch(opener(), signed + page)[0] == 401
    client = opener("radar:s3cret")
    status, form = fetch(client, signed + page)
    assert status == 200 and str(escape(flag["evidence"]))[:40] in form
    assert f'value="{flag["factor"]}" checked' in form  # the digest's link ticks the flag
    token = re.search(r'name="csrftoken" value="([^"]+)"', form).group(1)
    forged = fetch(opener("radar:s3cret"), signed + page,
                   {"not_factor": flag["factor"], "adviser": "Eve"})  # fmt: skip
    assert forged[0] == 403  # no CSRF token, no write
    status, done = fetch(client, signed + page, {
        "csrftoken": token, "not_factor": flag["factor"], "adviser": "Dee Adviser",
        "note": "a routine report",
    })  # fmt: skip
    # signed by who signed in, not by a name the form carries
    assert status == 200 and "Recorded" in done and "radar: not factor" in done
    assert "Dee Adviser" not in done


def test_the_digest_links_each_piece_of_evidence_to_its_feedback_page(judged):
    watchlist, db_path, sink = judged
    data = yaml.safe_load(open(watchlist, encoding="utf-8"))
    data["ui"] = {"base_url": "https://radar.example.org/"}
    with open(watchlist, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle)
    region = next(iter(on_radar(watchlist).values()))["region"]
    text = digest_text(watchlist, sink, region)
    links = re.findall(r"Not right\? (https://radar\.example\.org/-/feedback/\S+)", text)
    assert links
    item_id, query = links[0].split("/-/feedback/")[1].split("?")
    factors = rows(db_path, "select factor from flags where item_id = ?", [item_id])
    assert query == urlencode({"not_factor": ",".join(sorted(
        (f["factor"] for f in factors), key=FACTORS.index))})  # fmt: skip


def test_training_learns_a_dismissed_false_alarm(tmp_path):
    """Judged items are training data: a head that flagged a routine sentence stops."""
    from classifiers.embed import shared_embedder
    from classifiers.heads import load_heads
    from classifiers.train import DATA_DIR, train_heads

    routine = (
        "Councillors noted the Section 151 Officer's report explaining what a section 114 "
        "notice is and confirming that the council's reserves are well above the minimum."
    )
    small = tmp_path / "train_small.jsonl"
    small.write_text("".join((DATA_DIR / "train.jsonl").read_text().splitlines(True)[:400]))
    plain = train_heads([small])
    judged = [
        {"id": f"feedback:{n}:0", "kind": "feedback", "text": f"{routine} ({n})",
         "factors": [], "service": False, "sentiment": "neutral"}
        for n in range(6)
    ]  # fmt: skip
    taught = train_heads([small], feedback=judged)
    assert taught.metrics["feedback_examples"] == 6 and taught.version != plain.version

    def finance(heads) -> float:  # the model's own score, before any rule
        embedding = shared_embedder().embed([routine])
        return float(heads.probabilities(embedding, [routine])["finance"][0])

    assert finance(taught) < finance(plain)
    assert load_heads().version != taught.version  # the committed artefact is untouched

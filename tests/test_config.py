"""The watch list: validated on load, errors that name the file, line and field."""

from __future__ import annotations

import pytest

from demo.server import WATCHLIST
from domain.config import ConfigError, WatchList, load_watchlist


def test_all_english_councils_are_known():
    register = WatchList().council_register()
    assert len(register) == 317
    assert register["E09000008"].name == "Croydon"
    assert register["E10000007"].region == "East Midlands"  # Derbyshire, corrected


def test_demo_watch_list_loads_with_its_watched_councils():
    watchlist = load_watchlist(WATCHLIST)
    names = {c.name for c in watchlist.watched_councils()}
    assert names == {"Kelderby", "Brackenfold", "Sallowmere", "Hollinsford", "Ashworth Vale"}
    kinds = {s.kind for s in watchlist.all_sources()}
    assert kinds == {"feed", "moderngov", "cmis", "sitemap", "listing"}
    assert len(watchlist.all_sources()) == 13
    assert all(s.url.startswith("http://127.0.0.1:") for s in watchlist.all_sources())
    assert len(watchlist.regions) == 9


def test_bad_field_error_names_file_line_and_field(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        "regions:\n  North West:\n    advisers:\n      - name: A\n        email: not-an-address\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_watchlist(path)
    message = str(error.value)
    assert f"{path}:5" in message
    assert "regions.North West.advisers.0.email" in message
    assert "not an email address" in message


def test_adviser_logins_give_each_ui_user_their_regions(tmp_path):
    path = tmp_path / "watchlist.yaml"
    adviser = "{name: A, email: a@example.org, login: ann}"
    path.write_text(
        f"regions:\n  South West:\n    advisers: [{adviser}]\n"
        f"  North West:\n    advisers: [{adviser}, {{name: B, email: b@example.org}}]\n"
    )
    assert load_watchlist(path).ui_adviser_regions() == {"ann": ["North West", "South West"]}
    path.write_text(path.read_text().replace("login: ann", "login: Ann Smith"))
    with pytest.raises(ConfigError) as error:
        load_watchlist(path)
    assert f"{path}:3" in str(error.value) and "'Ann Smith' is not a radar ui user" in str(
        error.value
    )


def test_unknown_region_is_refused(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text("regions:\n  Wessex:\n    advisers: [{name: A, email: a@example.org}]\n")
    with pytest.raises(ConfigError, match="unknown region 'Wessex'"):
        load_watchlist(path)


def test_invented_council_needs_its_details(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text("councils:\n  - gss_code: X01\n    name: Nowhere\n")
    with pytest.raises(ConfigError, match="needs: official_name, type, region"):
        load_watchlist(path)


def test_register_council_can_be_watched_by_code_alone(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        "councils:\n  - gss_code: E09000008\n    sources:\n"
        "      - {kind: feed, url: 'https://example.org/news.rss'}\n"
    )
    watchlist = load_watchlist(path)
    [croydon] = watchlist.watched_councils()
    assert croydon.name == "Croydon" and croydon.sources[0].council == "E09000008"


def test_missing_watch_list_says_how_to_point_at_one(tmp_path):
    with pytest.raises(ConfigError, match="--watchlist"):
        load_watchlist(tmp_path / "nope.yaml")


def test_times_written_without_quotes_are_times_not_base_60_numbers(tmp_path):
    """YAML 1.1 reads `10:30` as the integer 630; an admin means half past ten."""
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        f"database: {tmp_path / 'radar.db'}\n"
        "schedule:\n  digest_at: 10:30\n  sites_daily_at: 06:15\n",
        encoding="utf-8",
    )
    schedule = load_watchlist(path).schedule
    assert (schedule.digest_at, schedule.sites_daily_at) == ("10:30", "06:15")


def test_an_alias_bomb_is_read_once_per_node_and_refused_in_lines(tmp_path):
    """Nine levels of nine aliases are 9**9 paths but 10 nodes: the secret scan walks nodes,
    so the watch list is answered (here refused for its unknown keys) instead of hanging."""
    import threading

    rows = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):
        name, below = chr(97 + level), chr(96 + level)
        rows.append(f"{name}: &{name} [{', '.join(['*' + below] * 9)}]")
    rows.append("secret_token: *i")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outcome: list[str] = []

    def load() -> None:
        try:
            load_watchlist(path)
        except ConfigError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(120)  # a bound on a hang only: the load takes milliseconds
    assert outcome, "loading an alias bomb did not finish"
    assert f"{path}:10: secret_token: secrets are never kept in the watch list" in outcome[0]

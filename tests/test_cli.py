"""The CLI explains itself: every command has help a new user can read."""

from __future__ import annotations

import pytest
from conftest import run_radar

COMMANDS = ("crawl", "tag", "digest", "search", "demo", "train", "eval", "feedback")


def test_top_level_help_lists_every_command():
    result = run_radar("--help")
    assert "Principal Adviser" in result.stdout
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command):
    result = run_radar(command, "--help")
    assert "Usage:" in result.stdout and len(result.stdout) > 200


def test_broken_watch_list_gives_a_clear_error(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text("crawl:\n  concurrency_per_domain: 99\n")
    result = run_radar("crawl", "--watchlist", str(path), check=False)
    assert result.returncode == 2
    assert f"{path}:2" in result.stderr and "concurrency_per_domain" in result.stderr
    assert "Traceback" not in result.stderr


def _empty_store(tmp_path) -> str:
    from store import open_db

    path = tmp_path / "watchlist.yaml"
    path.write_text(f"database: {tmp_path / 'radar.db'}\n", encoding="utf-8")
    open_db(tmp_path / "radar.db").close()
    return str(path)


@pytest.mark.parametrize(
    ("target", "cause"),
    [
        ("{tmp}/no such folder/items.csv", "No such file or directory"),
        ("/proc/items.csv", "No such file or directory"),  # a folder nobody may create in
        ("/dev/full", "No space left on device"),  # a disk that fills up
    ],
)
def test_export_to_a_place_it_cannot_write_is_one_line_naming_it(tmp_path, target, cause):
    watchlist = _empty_store(tmp_path)
    target = target.format(tmp=tmp_path)
    # An empty store's JSON Lines export writes nothing, which even a full disk takes.
    for fmt in ("csv",) if target == "/dev/full" else ("csv", "jsonl"):
        result = run_radar("export", "--format", fmt, "-o", target, "-w", watchlist, check=False)
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip() == f"{target}: cannot write ({cause})", result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["radar.db", "watchlist.yaml"]


def test_a_failed_export_leaves_the_old_file_whole(tmp_path, monkeypatch):
    """The export goes to a temporary file renamed over the old one at the end: a failure
    half-way (here the store's rows raising) leaves the old export and no half file."""
    import store.export

    watchlist = _empty_store(tmp_path)
    old = tmp_path / "items.jsonl"
    old.write_text('{"id": "kept"}\n', encoding="utf-8")

    def failing(*_: object):
        yield {"id": "first"}
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.export, "export_rows", failing)
    result = run_radar("export", "-o", str(old), "-w", watchlist, check=False)
    assert result.returncode == 1 and "No space left on device" in result.stderr
    assert old.read_text(encoding="utf-8") == '{"id": "kept"}\n'
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["items.jsonl", "radar.db", "watchlist.yaml"]


@pytest.mark.parametrize(
    "args",
    [
        ("search", "council", "--limit", "999999999999999999999"),
        ("search", "council", "-n", "0"),
        ("concern", "update", "99999999999999999999999", "--note", "x"),
        ("concern", "show", "0"),
    ],
)
def test_numbers_out_of_range_are_a_usage_error_not_a_traceback(tmp_path, args):
    result = run_radar(*args, "-w", _empty_store(tmp_path), check=False)
    assert result.returncode == 2, result.stderr
    assert "Invalid value" in result.stderr and "Traceback" not in result.stderr


def test_a_relative_database_is_beside_the_watch_list_wherever_radar_runs(tmp_path, monkeypatch):
    """`database: radar.db` in /srv/radar/watchlist.yaml means /srv/radar/radar.db, whether
    cron runs `radar` from / or an admin from their home folder (it was the current folder)."""
    from domain.config import load_watchlist
    from store import open_db

    folder = tmp_path / "radar"
    folder.mkdir()
    (folder / "watchlist.yaml").write_text(
        "database: data/radar.db\noutput_dir: out\n", encoding="utf-8"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_watchlist(folder / "watchlist.yaml")
    assert config.database == folder / "data" / "radar.db"
    assert config.output_dir == folder / "out"
    assert load_watchlist(folder / "watchlist.yaml", database="x.db").database.name == "x.db"

    (folder / "data").mkdir()
    open_db(folder / "data" / "radar.db").close()
    result = run_radar("status", "-w", str(folder / "watchlist.yaml"))
    assert result.returncode == 0
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # no stray store made here


@pytest.mark.parametrize(
    "args",
    [
        ("search", "council"), ("radar",), ("radar", "--rebuild"), ("radar", "--history", "X"),
        ("export",), ("status",), ("sources",),
    ],
)  # fmt: skip
def test_a_read_only_command_on_a_missing_store_says_so_and_creates_nothing(tmp_path, args):
    path = tmp_path / "watchlist.yaml"
    path.write_text("database: nowhere/radar.db\n", encoding="utf-8")
    result = run_radar(*args, "-w", str(path), check=False)
    assert result.returncode == 1, (result.stdout, result.stderr)
    store = tmp_path / "nowhere" / "radar.db"
    assert result.stderr.strip().startswith(f"{store}: no store here yet"), result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_status_says_whether_the_scheduler_is_running(tmp_path):
    """`radar status` showed next runs when no `radar run` was running; it now says which."""
    import fcntl

    watchlist = _empty_store(tmp_path)
    stopped = run_radar("status", "-w", watchlist).stdout
    assert "The scheduler is not running" in stopped
    lock = tmp_path / "radar-schedule.lock"  # what `radar run` holds while it runs
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        running = run_radar("status", "-w", watchlist).stdout
    assert "The scheduler is running" in running and "not running" not in running


def test_sources_show_a_last_item_a_killed_crawl_stored(tmp_path):
    """A crawl killed with -9 records no source health (that is written when the crawl
    ends), so `radar sources` said "never" for sources whose items were stored. Each item
    now stamps its source as it is stored, in the same transaction."""
    from domain.config import Source
    from store import open_db
    from store.councils import sync_sources
    from store.items import insert_item

    watchlist = _empty_store(tmp_path)
    source = Source(kind="feed", url="https://example.org/news/rss", name="Example news")
    db = open_db(tmp_path / "radar.db")
    sync_sources(db, [source])
    stored_at = "2026-12-01T09:30:00Z"
    item = {
        "id": "i1", "url": "https://example.org/news/1", "canonical_url": "https://example.org/news/1",
        "source_id": source.id, "origin": "council", "kind": "news", "title": "Bins",
        "text": "Collections move to Tuesday.", "summary_only": 0, "published": stored_at,
        "date_source": "feed", "fetched": stored_at, "content_hash": "h1", "meta": "{}",
    }  # fmt: skip
    assert insert_item(db, item, [])
    db.close()
    table = run_radar("sources", "-w", watchlist).stdout
    [row] = [line for line in table.splitlines() if "Example news" in line]
    assert "never" in row and "2026-12-01 09:30" in row, table

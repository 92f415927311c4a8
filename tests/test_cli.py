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

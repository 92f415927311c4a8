"""Fuzzing what a user types and writes (hypothesis): `radar` answers any watch list and any
option values with output or a short message and exit code 1 or 2, never a traceback.

Commands run in-process through the installed entry point's function (`radar.cli.main`),
each on a fresh folder; the store, where one is needed, is an empty one."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from conftest import run_radar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import open_db

# A few hundred commands with made-up input: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

# Keys and values a watch list may hold, and values that are plausible mistakes.
KEYS = st.sampled_from(
    ["database", "output_dir", "councils", "crawl", "schedule", "radar", "smtp", "advisers",
     "include_england", "ui", "base_url", "gss_code", "sources", "digest_at", "port"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True), st.text(max_size=30),
    st.sampled_from(["10:30", "E09000008", "http://127.0.0.1/", "~", "/", "..", "radar.db"]),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
WATCH_LISTS = st.dictionaries(KEYS, VALUES, max_size=6)
COMMANDS = st.sampled_from(
    [("status",), ("sources",), ("radar",), ("search", "council"), ("export",),
     ("watch", "list"), ("concern", "list"), ("digest",)]
)  # fmt: skip

FUZZ = settings(
    max_examples=60,
    deadline=None,  # in-process commands on a loaded machine: no timing in tests
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: a red CI is a real bug, not luck
)


def _run(args: tuple[str, ...], text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "watchlist.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        open_db(Path(folder) / "radar.db").close()
        result = run_radar(*args, "-w", str(path), check=False)
    assert "Traceback" not in result.stderr + result.stdout, (args, text, result.stderr)
    assert result.returncode in (0, 1, 2), (args, text, result.returncode, result.stderr)


@FUZZ
@given(COMMANDS, WATCH_LISTS)
def test_any_watch_list_gets_an_answer_not_a_traceback(args, data):
    data.setdefault("database", "radar.db")
    _run(args, yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(COMMANDS, st.text(max_size=200))
def test_any_text_as_a_watch_list_gets_an_answer_not_a_traceback(args, text):
    _run(args, "database: radar.db\n" + text)


OPTIONS = st.sampled_from(
    [("search", "--limit"), ("search", "--since"), ("search", "--council"), ("search", "--region"),
     ("search", "--factor"), ("export", "--since"), ("export", "--format"), ("radar", "--week"),
     ("radar", "--region"), ("concern", "show"), ("feedback", "--by")]
)  # fmt: skip


@FUZZ
@given(
    OPTIONS,
    st.one_of(
        st.text(max_size=40),
        st.integers().map(str),
        st.integers(min_value=2**63 - 2, max_value=2**80).map(str),  # past SQLite's integers
        st.integers(max_value=0).map(str),
    ),
)
def test_any_option_value_gets_an_answer_not_a_traceback(option, value):
    command, flag = option
    args = (command, "council", flag, value) if command == "search" else (command, flag, value)
    _run(args, "database: radar.db\n")

"""`radar ui`: Datasette serving the store on loopback, with search, facets, canned queries,
and a password before anything is shown when it listens beyond loopback."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from conftest import RADAR, run_radar
from test_digest import own_copy

from alerts.sink import free_port


def get(url: str, auth: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


@pytest.fixture()
def serve(tagged, tmp_path):
    """Start `radar ui` on a free port over a copy of the tagged store; yield its base URL."""
    watchlist = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9})
    processes = []

    def start(*args: str, env: dict | None = None) -> str:
        port = free_port()
        log = (tmp_path / f"ui-{port}.log").open("wb")
        process = subprocess.Popen(
            [*RADAR, "ui", "-p", str(port), "-w", watchlist, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
        )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # up, and asking for a password
            except OSError:
                assert process.poll() is None, (tmp_path / f"ui-{port}.log").read_text()
                time.sleep(0.3)
        return base + "/radar"

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def test_ui_searches_facets_and_answers_canned_queries(serve):
    base = serve()
    phrase = quote('"section 114"')
    status, found = get(f"{base}/item_browser.json?_search={phrase}&_shape=objects")
    assert status == 200
    titles = [row["title"] for row in found["rows"]]
    assert any("section 114" in t.lower() for t in titles)
    assert all("Sallowmere" in json.loads(row["councils"]) for row in found["rows"])
    facets = found["facet_results"]
    assert {"councils", "regions", "factors", "sentiment", "source_kind", "month"} <= set(facets)
    status, timeline = get(f"{base}/council_timeline.json?council=Sallowmere&_shape=array")
    assert status == 200 and timeline and all(row["published"] for row in timeline)
    status, factor = get(f"{base}/items_by_factor.json?factor=finance&_shape=array")
    assert status == 200 and any("Sallowmere" in (row["councils"] or "") for row in factor)
    status, health = get(f"{base}/source_health.json?_shape=array")
    assert status == 200 and len(health) == 13
    status, radar = get(f"{base}/radar_this_week.json?_shape=array")
    assert status == 200 and {"Sallowmere", "Kelderby"} <= {row["council"] for row in radar}


def test_ui_beyond_loopback_needs_a_password(serve, tagged, tmp_path):
    watchlist = own_copy(tagged, tmp_path, {"host": "127.0.0.1", "port": 9})
    env = {k: v for k, v in os.environ.items() if k != "RADAR_UI_PASSWORD"}
    refused = subprocess.run(
        [*RADAR, "ui", "--host", "0.0.0.0", "-p", str(free_port()), "-w", watchlist],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and "RADAR_UI_PASSWORD" in refused.stderr
    base = serve("--host", "0.0.0.0", env={"RADAR_UI_PASSWORD": "correct horse"})
    port = base.split(":")[-1].split("/")[0]
    started = (tmp_path / f"ui-{port}.log").read_text(encoding="utf-8")
    assert "the password and every page travel unencrypted" in " ".join(started.split())
    refusals = (401, 403)  # 401 asks the browser for the password
    assert get(f"{base}/items.json")[0] in refusals
    assert get(f"{base}/source_health.json")[0] in refusals
    assert get(f"{base}/items.json", auth="radar:wrong")[0] in refusals
    status, _ = get(f"{base}/items.json?_shape=array", auth="radar:correct horse")
    assert status == 200
    assert run_radar("ui", "--help").returncode == 0

"""`radar ui`: Datasette serving the store on loopback, with search, facets, canned queries,
and a password before anything is shown when it listens beyond loopback; advisers' concerns
never served, each user signing in with their own password, strangers' host names refused;
and pages for people: a home page leading to the radar, search and timelines, the radar in
the CLI's order, searches best match first, readable cells (in Chromium too)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import quote, urlencode

import pytest
from conftest import RADAR, jsonl, rows, run_radar
from sqlite_utils import Database
from test_digest import own_copy
from test_digest_browser import chromium  # noqa: F401 (a fixture)

from alerts.sink import free_port
from demo.screenshot import _run as run_chromium


def get(url: str, auth: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def raw(url: str, auth: str | None = None, host: str | None = None) -> tuple[int, str]:
    """Status and body of any answer (HTML, JSON, CSV, a file), optionally signed in, and
    under another Host header than the URL's."""
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def opener(auth: str | None = None) -> urllib.request.OpenerDirector:
    """An HTTP client that keeps cookies (Datasette's CSRF cookie) and signs in if asked."""
    built = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    if auth:
        built.addheaders = [("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())]
    return built


def fetch(client, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urlencode(data, doseq=True).encode() if data is not None else None
    try:
        with client.open(url, data=body, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


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
    # a name not given with --allowed-host is refused even with the password
    assert raw(f"{base}/items.json", auth="radar:correct horse", host="evil.example")[0] == 400
    assert run_radar("ui", "--help").returncode == 0


NOTE, OWNER = "Confided-XQZ7 the chief executive fears a s114", "Owner-QWV7"
SQL = [  # arbitrary SQL: directly, through a view, a join, a subquery, a CTE, FTS, SQLite's own
    "select note from concern_events", "select * from concern_board",
    "select i.title, e.note, e.owner from items i join concern_events e",
    "select (select group_concat(note) from concern_events) x",
    "with n as (select * from concerns) select * from n", "explain select note from concern_events",
    "select * from concern_events_fts where concern_events_fts match 'chief'",
    "select * from concern_events_fts_data", "select * from sqlite_master",
    "select * from sqlite_stmt",
]
LEAKS = [  # every way into the concerns we know of: none may answer with a note
    "/radar/concern_events", "/radar/concern_events.json", "/radar/concerns.json",
    "/radar/CONCERN_EVENTS.json", "/radar/concern_events/1.json", "/radar/concerns/1",
    "/radar/concern_events.csv?_stream=on", "/radar/concern_board.json", "/radar/concern_board",
    "/radar/concern_events_fts.json", "/radar?sql=select+note+from+concern_events",
    *("/radar.json?sql=" + quote(sql) for sql in SQL),
    "/radar/items.json?_where=" + quote("id in (select note from concern_events)"),
    "/radar/-/query.json?sql=" + quote(SQL[0]),
    "/radar.db", "/radar", "/radar.json", "/-/metadata.json", "/",
]  # fmt: skip


def test_ui_never_serves_concerns_signed_in_or_not(serve, tmp_path):
    """Concerns show in the region's digest and the PSP report only: no URL of the UI, not
    arbitrary SQL, a view or an FTS index over them, returns a note or its owner."""
    watchlist = str(tmp_path / "watchlist.yaml")  # the store `serve` serves
    run_radar("concern", "open", "Sallowmere", "-f", "finance", "--owner", OWNER,
              "--note", NOTE, "-w", watchlist)  # fmt: skip
    store = Database(tmp_path / "radar.db")  # what an analyst might add to the store
    store.create_view("concern_board", "select c.name, e.status, e.note, e.owner from "
                      "concern_events e join concerns cn on cn.id = e.concern_id "
                      "join councils c on c.gss_code = cn.gss_code")  # fmt: skip
    store["concern_events"].enable_fts(["note", "owner"])
    store.close()
    assert rows(tmp_path / "radar.db", "select * from concern_board")[0]["note"] == NOTE
    open_ui = serve()
    signed = serve(env={"RADAR_UI_USERS": "ann", "RADAR_UI_PASSWORD_ANN": "ann-pw"})
    for base, auth in ((open_ui, None), (signed, "ann:ann-pw")):
        root = base.removesuffix("/radar")
        for path in LEAKS:
            status, body = raw(root + path, auth=auth)
            assert status != 401, path  # signed in, where a login is asked for
            if path.startswith(("/radar/concerns", "/radar/concern_events")):
                assert status == 403, path  # not an SQL error: not served at all
            assert NOTE not in body and "Confided" not in body and OWNER not in body, path
        status, listing = get(f"{base}.json", auth=auth)
        tables = {t["name"]: t for t in listing["tables"]}
        assert not [t for t in tables if t.startswith("concern")]
        assert "/radar/concern_events" not in raw(base, auth=auth)[1]
        # Datasette's own reading of the store still works: counts, foreign keys, SQL
        assert tables["items"]["count"] > 0
        assert {"other_table": "items", "column": "item_id", "other_column": "id"} in tables[
            "flags"]["foreign_keys"]["outgoing"]  # fmt: skip
        status, counted = get(f"{base}.json?sql=select+count(*)+n+from+items&_shape=array",
                              auth=auth)  # fmt: skip
        assert status == 200 and counted[0]["n"] == tables["items"]["count"]


def test_ui_signs_in_each_user_with_their_own_password(serve, tmp_path):
    users = {"RADAR_UI_USERS": "ann, bob", "RADAR_UI_PASSWORD_ANN": "ann-pw",
             "RADAR_UI_PASSWORD_BOB": "bob-pw"}  # fmt: skip
    base = serve(env=users)
    assert raw(f"{base}/items.json?_size=1", auth="ann:ann-pw")[0] == 200
    assert raw(f"{base}/items.json?_size=1", auth="bob:bob-pw")[0] == 200
    for wrong in ("ann:bob-pw", "bob:ann-pw", "radar:ann-pw", "eve:ann-pw", None):
        assert raw(f"{base}/items.json?_size=1", auth=wrong)[0] == 401, wrong
    root = base.removesuffix("/radar")
    assert get(f"{root}/-/actor.json", auth="bob:bob-pw")[1] == {"actor": {"id": "bob"}}

    item = rows(tmp_path / "radar.db", "select item_id, factor from flags limit 1")[0]
    page = f"{root}/-/feedback/{item['item_id']}"
    client = opener("ann:ann-pw")
    status, form = fetch(client, page)
    assert status == 200 and "Signed as <b>ann</b>" in form
    token = re.search(r'name="csrftoken" value="([^"]+)"', form).group(1)
    status, _ = fetch(client, page, {"csrftoken": token, "not_factor": item["factor"],
                                     "adviser": "Eve"})  # fmt: skip
    assert status == 200
    judged = rows(tmp_path / "radar.db", "select adviser from feedback where item_id = ?",
                  [item["item_id"]])  # fmt: skip
    assert [j["adviser"] for j in judged] == ["ann"]  # who signed in, not what the form said

    # A user named without a password, or a name that is no name, stops it starting.
    watchlist = str(tmp_path / "watchlist.yaml")
    for env, says in (({**users, "RADAR_UI_PASSWORD_BOB": ""}, "RADAR_UI_PASSWORD_BOB"),
                      ({**users, "RADAR_UI_USERS": "ann Bob!"}, "'Bob!' is not a user name")):
        refused = subprocess.run(
            [*RADAR, "ui", "-p", str(free_port()), "-w", watchlist],
            capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1", **env},
            timeout=120,
        )  # fmt: skip
        assert refused.returncode == 2 and says in refused.stderr, refused.stderr


def test_ui_answers_only_to_its_own_host_names(serve):
    """Against DNS rebinding: a hostile page whose name resolves to 127.0.0.1 reaches the
    UI with its own name in the Host header, and is refused before anything is read."""
    base = serve("--allowed-host", "radar.example.org")
    port = base.split(":")[-1].split("/")[0]
    url = f"{base}/items.json?_size=1"
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "10.1.2.3",
                 "radar.example.org", "RADAR.Example.org:443"):  # fmt: skip
        assert raw(url, host=host)[0] == 200, host
    for host in ("evil.example", f"evil.example:{port}", f"localhost.evil.example:{port}",
                 "radar.example.org.evil.example", "127.0.0.1.nip.io", "localhost@evil.example",
                 f"evil.example:{port}/x"):  # fmt: skip
        status, body = raw(url, host=host)
        assert status == 400 and "--allowed-host" in body and "items" not in body, host


def test_ui_ranks_the_radar_and_factor_items_as_the_cli_does(serve, tmp_path):
    """radar_this_week in `radar radar`'s order (most acute signals first, then priority),
    not the acute column compared as text; items_by_factor strongest first, not newest."""
    watchlist = str(tmp_path / "watchlist.yaml")  # the store `serve` serves
    run_radar("alerts", "-w", watchlist)  # raises the demo's acute signals this week
    cli = [row["council"] for row in jsonl(run_radar("radar", "--json", "-w", watchlist).stdout)]
    base = serve()
    status, radar = get(f"{base}/radar_this_week.json?_shape=array")
    assert status == 200 and [row["council"] for row in radar] == cli
    assert sum(1 for row in radar if row["acute"]) >= 3
    as_text = sorted(radar, key=lambda r: (r["acute"] or "", r["priority"]), reverse=True)
    assert [row["council"] for row in as_text] != cli  # the data tells the two orders apart

    status, flagged = get(f"{base}/items_by_factor.json?factor=finance&_shape=array")
    scores = [row["score"] for row in flagged]
    stored = rows(tmp_path / "radar.db", "select score from flags where factor = 'finance'")
    assert status == 200 and len(scores) == len(stored) > 3
    assert scores == sorted(scores, reverse=True)
    dates = [row["published"] for row in flagged]
    assert dates != sorted(dates, reverse=True)  # strongest first is not newest first


def test_ui_search_is_best_match_first_and_timelines_take_aliases(serve, tmp_path):
    """A text search of item_browser in `radar search`'s relevance order (bm25, titles
    weighing more), with the words found marked and the facets still there; an explicit
    sort still wins. council_timeline finds a council by an alias or its official name."""
    watchlist = str(tmp_path / "watchlist.yaml")
    best = [row["id"] for row in jsonl(run_radar("search", "budget", "--json", "-w", watchlist,
                                                 "--limit", "50").stdout)]  # fmt: skip
    base = serve()
    status, found = get(f"{base}/item_browser.json?_search=budget&_shape=objects&_size=100")
    assert status == 200
    ids = [row["id"] for row in found["rows"]]
    assert len(ids) == len(best) > 5 and ids == best
    dates = [row["published"] for row in found["rows"]]
    assert dates != sorted(dates, reverse=True)  # relevance is not date order here
    assert all("<mark>" in row["snippet"] for row in found["rows"][:3])
    assert {"councils", "factors", "month"} <= set(found["facet_results"])
    status, by_date = get(f"{base}/item_browser.json?_search=budget&_sort_desc=published"
                          "&_shape=objects&_size=100")  # fmt: skip
    dates = [row["published"] for row in by_date["rows"]]
    assert status == 200 and dates == sorted(dates, reverse=True) and len(dates) == len(ids)

    status, by_name = get(f"{base}/council_timeline.json?council=Kelderby&_shape=array")
    assert status == 200 and by_name
    for alias in ("Kelderby MBC", "kelderby council", "Kelderby Metropolitan Borough Council"):
        status, found = get(f"{base}/council_timeline.json?council={quote(alias)}&_shape=array")
        assert status == 200 and found == by_name, alias


def test_ui_home_page_leads_to_the_radar_search_and_timelines(serve):
    base = serve()
    root = base.removesuffix("/radar")
    status, home = raw(f"{root}/")
    assert status == 200
    for way_in in ('href="/radar/radar_this_week"', 'action="/radar/item_browser"',
                   'name="_search"', 'href="/radar/council_timeline"', 'name="council"',
                   'href="/radar/source_health"', 'href="/radar/items_by_factor?factor=finance"',
                   'href="/radar"', '<option value="Kelderby MBC">',
                   'action="/council"'):  # fmt: skip
        assert way_in in home, way_in
    assert "story_bands" not in home  # not Datasette's table list
    assert 'href="/council/X08000001">Kelderby</a>' in home  # this week's radar: its page
    status, tables = raw(base)
    assert status == 200 and "/radar/story_bands" in tables  # the generic page stays


def dom(url: str) -> str:
    """The DOM headless Chromium built from a page of the running UI."""
    return run_chromium(["--dump-dom", url], 60).stdout


def test_ui_home_page_and_item_browser_render_in_chromium(chromium, serve):  # noqa: F811
    base = serve()
    root = base.removesuffix("/radar")
    home = dom(f"{root}/")
    assert "The radar this week" in home and "Search the items" in home
    assert re.search(r'<a href="/council/X\d{8}">[^<]+</a>', home)  # a council's page
    page = dom(f"{base}/item_browser?_search=" + quote('"section 114"'))
    titles = re.findall(r'<td class="col-title[^"]*">(.*?)</td>', page, re.DOTALL)
    assert titles and all(re.match(r'<a href="https?://', t) for t in titles), titles[:2]
    councils = re.findall(r'<td class="col-councils[^"]*">(.*?)</td>', page, re.DOTALL)
    assert councils and all('class="chip"' in c for c in councils), councils[:2]
    assert not [c for c in councils if '["' in c or "[&quot;" in c]  # no raw JSON
    assert re.search(r"<mark>[^<]*114[^<]*</mark>", page)  # the words found, marked
    heads = re.findall(r'<th [^>]*data-column="([a-z_]+)"', page)
    assert heads[:5] == ["published", "title", "councils", "factors", "evidence"], heads
    assert heads.index("rowid") > heads.index("sentiment")

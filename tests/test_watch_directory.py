"""`radar watch add` with the democracy-site directory: a council comes with its meetings,
and `--all` sets up a watch list for the whole of England in one command."""

from __future__ import annotations

import yaml
from conftest import run_radar
from ruamel.yaml.comments import CommentedMap

from crawlers.directory import site_for
from domain.config import WatchList, load_england_register, load_watchlist
from domain.watchfile import add_democracy_source, edit, one_line, site_key, watch_all
from radar.cmd_watch import problems

ADMIN_FILE = (
    "# our watch list\ndatabase: radar.db  # the store\n"
    "councils:\n  - gss_code: E09000008  # Croydon\n"
)


def england() -> list:
    return [site_for(c.gss_code, c.name) for c in load_england_register()]


def sources_of(path, gss_code: str) -> list[dict]:
    data = yaml.safe_load(path.read_text())
    return next(c for c in data["councils"] if c["gss_code"] == gss_code).get("sources", [])


def test_watch_add_brings_the_councils_democracy_site(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text(ADMIN_FILE)
    result = run_radar("watch", "add", "E10000003", "-w", str(path))
    assert "cmis source https://cambridgeshire.cmis.uk.com/ccc_live/" in result.stdout
    assert sources_of(path, "E10000003") == [
        {
            "kind": "cmis",
            "name": "Cambridgeshire meetings",
            "url": "https://cambridgeshire.cmis.uk.com/ccc_live/",
        }
    ]
    assert path.read_text().startswith("# our watch list"), "the admin's comments are kept"
    again = run_radar("watch", "add", "Cambridgeshire", "-w", str(path))
    assert "already listed" in again.stdout and len(sources_of(path, "E10000003")) == 1
    custom = run_radar("watch", "add", "Birmingham", "-w", str(path))
    assert "custom site: look at https://www.birmingham.gov.uk/councillors/name" in custom.stdout
    plain = run_radar("watch", "add", "Adur", "--no-directory", "-w", str(path))
    assert "meetings" not in plain.stdout and sources_of(path, "E07000223") == []


def test_a_council_keeps_the_democracy_source_an_admin_chose(tmp_path):
    data = CommentedMap(
        councils=[
            CommentedMap(
                gss_code="E10000003",
                sources=[{"kind": "cmis", "url": "https://new.example.org/cmis5/"}],
            )
        ]
    )
    why = add_democracy_source(data, "E10000003", site_for("E10000003", "Cambridgeshire").source())
    assert why and "already has https://new.example.org/cmis5/" in why
    assert len(data["councils"][0]["sources"]) == 1


def test_watch_all_lists_every_council_once_and_keeps_what_is_there(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        ADMIN_FILE
        + "    sources:\n      - {kind: feed, url: 'https://example.org/croydon.rss'}\n"
        + "  - gss_code: E08000025  # Birmingham, not watched for now\n    watched: false\n"
    )
    results = []
    for _ in range(2):
        edit(path, lambda data: results.append(watch_all(data, england())) or "", load_watchlist)
    first, second = results
    assert len(first.listed) == 315  # 317 less the two already there
    kinds = {kind: sum(1 for s in first.added if s.kind == kind) for kind in ("moderngov", "cmis")}
    assert kinds == {"moderngov": 269, "cmis": 21}
    # Lewes's row says http://, Eastbourne's https:// for the same site: one site, one source
    assert {site.name for site, _ in first.shared} == {
        "Worthing", "Mid Suffolk", "South Norfolk", "West Devon", "Lewes"
    }  # fmt: skip
    assert {s.gss_code for s in first.missing} >= {"E09000001", "E08000025", "E07000032"}
    assert len(first.missing) == 22
    assert second.listed == [] and second.added == [], "a second run adds nothing twice"

    config = load_watchlist(path)
    text = path.read_text()
    assert text.startswith("# our watch list") and "# the store" in text
    assert "gss_code: E07000229  # Worthing: its meetings are on Adur's site" in text
    register = config.council_register()
    assert not register["E08000025"].watched, "an unwatched council stays unwatched"
    assert [s.kind for s in register["E09000008"].sources] == ["feed", "moderngov"]
    with_site = [
        c for c in register.values() if any(s.kind in ("moderngov", "cmis") for s in c.sources)
    ]
    assert len(with_site) == 290
    sites = [site_key(s.url) for s in config.all_sources_raw()]
    assert len(sites) == len(set(sites)), "no site twice, whatever its scheme"


def test_watch_check_summarises_what_repeats():
    config = WatchList.model_validate(
        {"councils": [{"gss_code": c.gss_code} for c in load_england_register()[:40]]}
    )
    errors, warnings = problems(config)
    assert errors == []
    assert len(warnings) == 2, warnings  # one line for regions, one for silent councils
    assert warnings[1].startswith("40 watched councils have no enabled source")


def test_watch_add_all_then_check_on_a_fresh_watch_list(tmp_path):
    path = tmp_path / "watchlist.yaml"
    added = run_radar("watch", "add", "--all", "-w", str(path))
    assert "317 councils added" in added.stdout
    assert "290 democracy sources added (21 cmis, 269 moderngov)" in added.stdout
    assert "22 councils with no democracy source" in added.stdout
    assert "City of London" in added.stdout and "not in Democracy Club's directory" in added.stdout
    assert "https://www.birmingham.gov.uk/councillors/name" in added.stdout
    checked = run_radar("watch", "check", "-w", str(path))
    assert "317 watched, 290 sources enabled" in checked.stdout and "OK" in checked.stdout
    assert "error" not in checked.stderr
    assert checked.stderr.count("warning:") <= 3, checked.stderr
    again = run_radar("watch", "add", "--all", "-w", str(path))
    assert "0 councils added" in again.stdout and "0 democracy sources added" in again.stdout
    refused = run_radar("watch", "add", "--all", "Adur", "-w", str(path), check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr


def test_a_democracy_page_becomes_its_root_and_a_password_is_never_echoed(capsys):
    from radar.cmd_watch import site_root_or_url

    page = "https://democracy.x.gov.uk/ieListMeetings.aspx?CommitteeId=5"
    assert site_root_or_url(page, "moderngov") == "https://democracy.x.gov.uk/"
    assert "a moderngov site is read from its root" in capsys.readouterr().out
    secret = "https://u:Sekr1t@democracy.x.gov.uk/mgListCommittees.aspx"
    assert site_root_or_url(secret, "moderngov") == "https://u:Sekr1t@democracy.x.gov.uk/"
    assert "Sekr1t" not in capsys.readouterr().out
    feed = "https://www.x.gov.uk/news/rss"
    assert site_root_or_url(feed, "feed") == feed and capsys.readouterr().out == ""


def test_an_admins_first_watch_add_starts_the_watch_list(tmp_path):
    path = tmp_path / "watchlist.yaml"
    run_radar("watch", "add", "E10000003", "-w", str(path))
    assert sources_of(path, "E10000003")[0]["kind"] == "cmis"
    assert load_watchlist(path).watched_councils()[0].gss_code == "E10000003"
    elsewhere = str(tmp_path / "no.yaml")
    missing = run_radar("watch", "remove", "E10000003", "-w", elsewhere, check=False)
    assert missing.returncode == 2 and "watch list not found" in missing.stderr


def test_an_admins_comment_on_a_council_is_kept(tmp_path):
    path = tmp_path / "watchlist.yaml"
    path.write_text("councils:\n  - gss_code: E07000229  # Worthing: ask Jo before changing\n")
    edit(path, lambda data: watch_all(data, england()) and "", load_watchlist)
    text = path.read_text()
    [line] = [line for line in text.splitlines() if "E07000229" in line]
    assert line.endswith("# Worthing: ask Jo before changing"), line


def test_a_name_yaml_1_1_would_misread_is_quoted():
    # ruamel writes YAML 1.2; the watch list is read by PyYAML (1.1), where No is false
    for name in ("No", "On", "yes", "2026", "null"):
        line = one_line({"kind": "feed", "name": name, "url": "https://example.org/rss"})
        written = yaml.safe_load("- " + yaml_flow(line))
        assert written == [{"kind": "feed", "name": name, "url": "https://example.org/rss"}]


def yaml_flow(line) -> str:
    from io import StringIO

    from ruamel.yaml import YAML

    out = StringIO()
    YAML().dump(line, out)
    return out.getvalue()


def test_a_watch_list_that_cannot_be_written_or_read_says_so_in_one_line(tmp_path):
    missing = run_radar("watch", "add", "Derby", "-w", str(tmp_path / "no" / "w.yaml"), check=False)
    assert missing.returncode == 2
    where = tmp_path / "no" / "w.yaml"
    assert missing.stderr.strip() == f"Not written: {where}: No such file or directory"
    (tmp_path / "folder.yaml").mkdir()
    folder = run_radar("watch", "list", "-w", str(tmp_path / "folder.yaml"), check=False)
    assert folder.returncode == 2 and "Is a directory" in folder.stderr
    assert "Traceback" not in missing.stderr + folder.stderr

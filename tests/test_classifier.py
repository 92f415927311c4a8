"""The classifier advisers rely on: measured quality, evidence, long documents, attribution."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import run_radar

from classifiers.attribution import CouncilMatcher, attribute
from classifiers.evaluate import (
    ATTRIBUTION_FILES,
    DEV_FILE,
    TEST_FILES,
    evaluate_attribution,
    evaluate_factors,
    read_labelled,
)
from classifiers.heads import load_heads
from classifiers.tagger import Tagger
from classifiers.train import TRAIN_FILES, data_hash
from domain.config import WatchList

ROUTINE = (
    "The committee noted the report on the maintenance of play areas across the district. "
    "Members asked about the timetable for replacing the swings at the recreation ground. "
    "Officers confirmed that the annual inspection had found no serious defects this year. "
)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(WatchList())


@pytest.fixture(scope="module")
def matcher() -> CouncilMatcher:
    return CouncilMatcher(WatchList().council_register().values())


def test_committed_classifier_meets_the_targets_and_beats_both_baselines(tagger):
    _, examples = read_labelled(DEV_FILE)
    report = evaluate_factors(tagger, examples)
    ours, keywords = report["classifier"], report["keywords"]
    assert ours["macro_f1"] >= 0.85 > keywords["macro_f1"]
    assert ours["false_alarm_rate"] <= 0.03 < keywords["false_alarm_rate"]
    assert ours["sentiment_accuracy"] >= 0.85 > report["vader"]["sentiment_accuracy"]


def test_unseen_test_sets_do_not_fall_back(tagger):
    """The test sets (never trained or tuned on) at their measured level, less a margin for
    bf16/fp32 machines: a floor under regressions, not the goal (README: 0.90, 3%, 0.90)."""
    floors = {"test.jsonl": (0.84, 0.17, 0.78), "test_hard.jsonl": (0.69, 0.27, 0.60)}
    for path in TEST_FILES:
        report = evaluate_factors(tagger, read_labelled(path)[1])["classifier"]
        f1, false_alarms, sentiment = floors[path.name]
        assert report["macro_f1"] >= f1, path.name
        assert report["false_alarm_rate"] <= false_alarms, path.name
        assert report["sentiment_accuracy"] >= sentiment, path.name


def test_attribution_meets_its_target_and_beats_name_search():
    """Every attribution file, the held-out ones included, at the 0.97 the issue set."""
    for path in ATTRIBUTION_FILES:
        report = evaluate_attribution(WatchList(), read_labelled(path)[1])
        assert report["matcher"]["f1"] >= 0.97 > report["name_search"]["f1"], path.name


def test_artefact_records_model_and_the_hash_of_the_committed_training_data():
    heads = load_heads()
    assert heads.data_sha256 == data_hash(*TRAIN_FILES)
    assert data_hash(*TRAIN_FILES) != hashlib.sha256(TRAIN_FILES[0].read_bytes()).hexdigest()
    assert "all-MiniLM-L6-v2" in heads.model
    assert heads.version.startswith("heads-")


def test_evidence_is_the_alarming_sentence_not_its_whole_passage(tagger):
    item = {
        "id": "1",
        "title": "Cabinet update",
        "text": ROUTINE
        + "The Section 151 Officer warned that general reserves would be exhausted by "
        "March and that the council could not balance next year's budget without "
        "exceptional financial support from government. " + ROUTINE,
    }
    [result] = tagger.tag_many([item])
    assert "finance" in result["labels"]
    assert result["evidence"]["finance"].startswith("The Section 151 Officer warned")
    assert "swings" not in result["evidence"]["finance"]
    assert result["classifier_version"] == tagger.version


def test_one_alarming_paragraph_in_forty_pages_of_minutes_is_found_with_its_page(tagger):
    text, offsets = "", []
    for page in range(1, 41):
        offsets.append(len(text))
        if page == 31:
            text += (
                "The Monitoring Officer reported that the Chief Executive had been suspended "
                "on full pay pending an independent investigation into a breakdown in "
                "relations with the Leader. "
            )
        text += ROUTINE * 6 + "\n\n"
    item = {"id": "m", "title": "Minutes of Council", "text": text, "page_offsets": offsets}
    [result] = tagger.tag_many([item])
    assert result["labels"] == ["leadership"]
    assert "suspended" in result["evidence"]["leadership"]
    assert result["flags"]["leadership"]["page"] == 31
    assert result["sentiment"] == "negative"


def test_forty_pages_of_routine_minutes_flag_nothing(tagger):
    item = {"id": "r", "title": "Minutes of Council", "text": (ROUTINE * 6 + "\n\n") * 40}
    [result] = tagger.tag_many([item])
    assert result["labels"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Newcastle City Council has approved the Grey Street scheme.", {"E08000021"}),
        ("Newcastle-upon-Tyne City Council opens a new library.", {"E08000021"}),
        ("Newcastle-under-Lyme Borough Council approves a market plan.", {"E07000195"}),
        ("Newcastle Borough Council in Staffordshire opens a play area.", {"E07000195"}),
        ("Newcastle United won again on Saturday.", set()),
        ("Derby City Council and Derbyshire County Council agree a bus plan.",
         {"E06000015", "E10000007"}),
        ("Derbyshire Dales District Council and South Derbyshire District Council meet.",
         {"E07000035", "E07000039"}),
        ("Derby County will play at Pride Park on Saturday.", set()),
        ("Derbyshire Constabulary is recruiting officers.", set()),
        ("Richmond upon Thames Council consults on parking in Twickenham.", {"E09000027"}),
        ("Richmond Council in London has a new recycling service.", {"E09000027"}),
        ("Richmond Town Council in North Yorkshire agrees new hanging baskets.", set()),
        ("Richmondshire District Council records moved to North Yorkshire Council.",
         {"E06000065"}),
        ("Kingston upon Hull City Council and Kingston Council share a pothole app.",
         {"E06000010", "E09000021"}),
        ("Westminster City Council will repave Oxford Street.", {"E09000033"}),
        ("Westminster council to raise parking charges", {"E09000033"}),
        ("Croydon and Sutton Councils Back New School", {"E09000008", "E09000029"}),
        ("Cannock Chase Council, Staffordshire County Council and Stafford Borough Council agree.",
         {"E07000192", "E10000028", "E07000197"}),
        ("MPs in Westminster will debate the bill next week.", set()),
        ("Durham County Council approves the school transport policy.", {"E06000047"}),
        ("Durham University opens a new library.", set()),
        ("Hull City Council and Hull City AFC agree a schools partnership.", {"E06000010"}),
        ("The Royal Borough of Kingston upon Thames resurfaces roads in Surbiton.",
         {"E09000021"}),
        ("Brighton & Hove City Council and Telford and Wrekin Council share advice.",
         {"E06000043", "E06000020"}),
        ("The London Borough of Camden and the Royal Borough of Greenwich sign a pact.",
         {"E09000007", "E09000011"}),
        ("Reading the report, members agreed the recommendations.", set()),
        ("Reading Borough Council approves a crossing on Oxford Road.", {"E06000038"}),
        ("Ledbury Town Council will fund new benches.", set()),
        ("Greater Manchester Combined Authority sets out a transport plan.", set()),
        ("Cllr Preston asked about the bus timetable.", set()),
        ("North and South Tyneside councils agree a coastal path plan.",
         {"E08000022", "E08000023"}),
    ],
)  # fmt: skip
def test_attribution_hard_cases(matcher, text, expected):
    assert {m.gss_code for m in matcher.find(text)} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # initials made from the register's names, with and without their designation
        ("TWBC will resurface the High Street car park next week.", {"E07000116"}),
        ("ESCC has published its winter gritting routes.", {"E10000011"}),
        ("RBWM opens a new library in Maidenhead.", {"E06000040"}),
        ("LBTH extends Sunday opening at its Idea Stores.", {"E09000030"}),
        ("CWaC crews will collect bins a day late after the bank holiday.", {"E06000050"}),
        ("BCP Council consults on beach hut charges.", {"E06000058"}),
        ("SADC, WHBC and TRDC will share one food waste contract.",
         {"E07000240", "E07000241", "E07000102"}),
        ("NYCC's admissions portal opens on Monday.", {"E06000065"}),
        # place initials alone count only beside a council word; shared or borrowed ones never
        ("BCP scores were recorded for each patient in the trial.", set()),
        ("The BBC and the MCC agree a new broadcasting deal.", set()),
        ("LCC and PCC officers met on Tuesday.", set()),
    ],
)  # fmt: skip
def test_councils_written_as_initials(matcher, text, expected):
    assert {code for code, _ in attribute(matcher, "", text)} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a place that only says where something else happened is not the council
        ("A man from Bolton was jailed for two years at Manchester Crown Court on Friday.", set()),
        ("Fans are urged to arrive early for the Manchester derby at the Etihad.", set()),
        ("Trains to Stockport station were delayed by a signal fault.", set()),
        ("Shoppers queued outside the Trafford Centre for the January sales.", set()),
        ("Flood warnings are in place along the River Medway this weekend.", set()),
        ("Cambridge recorded the highest temperature of the year on Tuesday.", set()),
        ("A Canterbury brewery has won a national award for its ale.", set()),
        # ... unless the text is about the council
        ("Bolton councillors have approved plans for 300 homes.", {"E08000001"}),
        ("Croydon has appointed a new chief executive.", {"E09000008"}),
        # a place where a council works is not another council
        ("West Sussex County Council is trialling bus shelters in Crawley and Worthing.",
         {"E10000032"}),
        ("The three Hertfordshire councils will share a waste contract.", set()),
        ("Cheltenham, Forest of Dean and Tewkesbury councils and Gloucestershire County "
         "Council sign a waste partnership.",
         {"E07000078", "E07000080", "E07000083", "E10000013"}),
    ],
)  # fmt: skip
def test_places_named_only_as_locations(matcher, text, expected):
    assert {code for code, _ in attribute(matcher, "", text)} == expected


def test_a_councils_own_item_belongs_to_it_plus_partners_named_up_front(matcher):
    lead = "Joint waste contract signed with Rushcliffe Borough Council. "
    passing = "Routine text. " * 80 + "As Nottinghamshire County Council noted last year."
    links = attribute(matcher, "Waste news", lead + passing, own_council="E07000172")
    assert links == [("E07000172", "source"), ("E07000176", "name")]
    # a place the council works in is where, not a partner
    works = "Resurfacing of the A23 in Crawley starts on Monday, with a signed diversion."
    assert attribute(matcher, "Roadworks", works, own_council="E10000032") == [
        ("E10000032", "source")
    ]


def test_radar_eval_prints_figures_and_baselines_for_any_labelled_file(tmp_path):
    labelled = tmp_path / "mine.jsonl"
    rows = [
        {"id": "1", "title": "Section 114 notice issued",
         "text": "The chief finance officer has issued a section 114 notice.",
         "factors": ["finance"], "sentiment": "negative"},
        {"id": "2", "title": "Road closure",
         "text": "Mill Lane will be closed for resurfacing for two nights next week.",
         "factors": [], "sentiment": "neutral"},
    ]  # fmt: skip
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run_radar("eval", str(labelled), "--json")
    report = json.loads(result.stdout)[str(labelled)]
    assert report["examples"] == 2
    assert report["classifier"]["finance"]["recall"] == 1.0
    assert report["classifier"]["false_alarm_rate"] == 0.0
    assert {"keywords", "vader"} <= set(report)
    table = run_radar("eval", str(labelled)).stdout
    assert "macro-F1" in table and "VADER" in table and "keywords" in table


def test_radar_eval_names_the_line_of_a_bad_labelled_file(tmp_path):
    labelled = tmp_path / "bad.jsonl"
    labelled.write_text('{"id": "1", "text": "x", "factors": ["money"], "sentiment": "neutral"}\n')
    result = run_radar("eval", str(labelled), check=False)
    assert result.returncode == 2
    assert f"{labelled}:1:" in result.stderr and "factors" in result.stderr


def test_an_admins_term_flags_even_deep_in_long_minutes(tagger):
    config = WatchList(terms={"disengagement": ["informal scrutiny pause"]})
    with_terms = Tagger(config, heads=tagger.heads, embedder=tagger.embedder)
    text = (ROUTINE + "\n\n") * 30 + "Members agreed an informal scrutiny pause until May.\n\n"
    [result] = with_terms.tag_many([{"id": "t", "title": "Minutes", "text": text * 2}])
    assert result["labels"] == ["disengagement"]
    assert result["flags"]["disengagement"]["rule"] == "term:informal scrutiny pause"
    assert result["evidence"]["disengagement"].startswith("Members agreed an informal")


def test_bf16_is_used_only_where_the_cpu_has_it_and_matches_fp32(tagger):
    from classifiers.embed import Embedder, cpu_has_bf16

    fp32 = tagger.embedder
    if not cpu_has_bf16():
        assert fp32.precision == "fp32"  # emulated bf16 is slower: never chosen on its own
    forced = Embedder(precision="bf16")  # kept only if within cosine 0.9999 of fp32
    texts = ["The section 151 officer warned that reserves would be exhausted by March."] * 4
    if forced.precision == "bf16":
        fp32.precision, saved = "fp32", fp32.precision
        try:
            cosine = (forced.embed(texts) * fp32.embed(texts)).sum(axis=1)
        finally:
            fp32.precision = saved
        assert cosine.min() >= 0.9999

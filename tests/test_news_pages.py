"""The listing spider on a council's news page saved from the real site (Richmond upon Thames's
news listing, which has no feed, as richmond-council-rss keeps it: tests/files/news/, sources
in tests/files/SOURCES.md), in-process: the callback gets a response built from the saved
page at its real address, and the article it asks for from the saved article page.

No council's own RSS feed or sitemap, saved from its site, is published in any repository the
project could search, so the feed and sitemap spiders have no saved page here.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import scrapy
from saved import FILES, saved_response, spider_for, split

from crawlers.listing import ListingSpider
from domain.config import Source
from pipelines.urls import canonical_url

ROOT = "https://www.richmond.gov.uk/"
LISTING = ROOT + "news"
SAVED = date(2026, 6, 30)  # the day the page was saved: its newest articles are of that day
BLOG = "comment_spot/comment_spot_archive/council_blog_2026/"
PARTNER = "partner_comment_spot/partner_comment_spot_archive/partner_comment_spot_2026/"
JUNE = "news_june_2026/"

# Every article the listing shows, in page order (its <h2> link), with the day of June 2026
# its card shows ("30 Jun 26"): paths under /news/.
ARTICLES = [
    (JUNE + "mayor_invites_residents_charity_reception", 30),
    (JUNE + "rotary_club_become_heartstarter", 30),
    (JUNE + "merry_wives_york_house_gardens", 30),
    (JUNE + "thames_safety_teddington_lock", 29),
    (JUNE + "care_and_enjoy_our_parks", 26),
    (JUNE + "new_transport_strategy", 25),
    (JUNE + "summer_of_suspense_at_twickenham_library", 25),
    (JUNE + "french_conversation_etna", 25),
    (JUNE + "barnes_mum_builds_village_to_end_family_loneliness", 25),
    (BLOG + "new_blog_courage_at_heart_of_refugee_week_celebrations", 25),
    (JUNE + "free_solar_panel_webinar", 24),
    (JUNE + "forest_rollout_progressing_well", 24),
    (JUNE + "free_art_spaces", 24),
    (JUNE + "centre_stage_richmond_myths_programme_revealed", 24),
    (JUNE + "young_eco_champions_spark_climate_action", 24),
    (JUNE + "climate_action_richmond", 23),
    (JUNE + "community_effort_to_save_barnes_swifts", 23),
    (JUNE + "celebrate_flood_resilience_climate_action", 23),
    (JUNE + "support_local_small_charities", 22),
    (JUNE + "flood_resilience_project_gains_national_recognition", 22),
    (JUNE + "special_offer_york_house_centenary", 22),
    (JUNE + "investment_into_petersham_road_upgrades", 19),
    (JUNE + "celebrate_refugee_week", 19),
    (JUNE + "heathrow_consultation_criticism", 18),
    (JUNE + "summer_tennis", 18),
    (JUNE + "teddington_school_clean_air", 18),
    (JUNE + "box_walks", 18),
    (JUNE + "charity_bubble_show", 18),
    (JUNE + "our_borough_of_sanctuary_history_on_display", 17),
    (JUNE + "richmond_employers_unite_to_boost_opportunities", 16),
    (JUNE + "richmond_sustainability_forum_at_the_fixery", 16),
    (JUNE + "join_richmond_mencap_learning_disability_awareness_day_event", 16),
    (JUNE + "cargo_bike_vouchers", 11),
    (JUNE + "home_start_30_years", 11),
    (JUNE + "soar_for_skylarks_over_the_allianz", 10),
    (JUNE + "open_day_at_poppy_factory", 10),
    (JUNE + "give_items_second_life_at_twickenham_repair_cafe", 10),
    (JUNE + "elleray_social_club_forming_friendships_later_in_life", 10),
    (JUNE + "invite_to_the_safer_neighbourhood_board", 10),
    (JUNE + "thames_path_anniversary_relay", 10),
    (JUNE + "carers_week_activities", 9),
    (PARTNER + "community_led_cargo_bike_project_takes_off", 8),
    (JUNE + "new_wetlands_greener_borough", 5),
    (JUNE + "community_power_caring_for_our_trees", 4),
    (JUNE + "community_progress_bringing_back_rare_plant", 4),
    (JUNE + "design_poster_st_margarets_station_birthday", 4),
    (JUNE + "trumpeters_house_garden_party", 4),
    (JUNE + "rss_young_actor_summer_showcase", 4),
    (JUNE + "exchange_announces_2026_pantomime", 4),
    (JUNE + "take_part_in_artist_of_the_year_competition", 4),
    (JUNE + "twickenham_riverside_transformation_gathers_pace", 3),
    (PARTNER + "shining_a_light_on_our_volunteer_community", 2),
    (JUNE + "pride_month_2026", 1),
    (JUNE + "refugee_week_events", 1),
    (JUNE + "forest_launch_richmond", 1),
    (JUNE + "family_bike_ride_to_osterley_park", 1),
]
URLS = [LISTING + "/" + path for path, _ in ARTICLES]
FIRST = URLS[0]
# Headlines as the listing's links give them: its entities (&#x27;, &#x2019;, &#xE9;) read,
# its no-break spaces (&#xA0;) made plain.
TITLES = {
    FIRST: "Mayor of Richmond upon Thames invites residents to charity launch reception",
    URLS[2]: "Catch Shakespeare's Merry Wives in York House Gardens",
    URLS[3]: "Don't risk it. Don't jump into the Thames at Teddington Lock",
    URLS[9]: "Courage at the heart of Richmond\u2019s Refugee Week celebrations",
    URLS[19]: (
        "Innovative flood-resilience project gains national recognition as finalist for "
        "multiple awards"
    ),
    URLS[23]: (
        "Heathrow expansion consultation launched on Clean Air Day \u2018deserves fresh "
        "criticism\u2019, says Richmond Council Leader"
    ),
    URLS[36]: "Give your items a second life at this month's Twickenham Repair Caf\u00e9",
    URLS[41]: "Community\u2011led cargo bike project takes off in the borough",
    URLS[-1]: "Family bike ride and day of fun at Osterley Park",
}
# The month archives the page links to ("View older news", and "Browse news" in its sidebar)
MONTH_ARCHIVE = re.compile(r"^/news/news_[a-z]+_\d{4}$")


def richmond(**options) -> Source:
    return Source(kind="listing", url=LISTING, council="E09000027", name="Richmond news", **options)


# What an admin sets for this site: the headlines' links, and its "View older news" link
# (it has no rel="next").
CONFIGURED = {"selector": "h2 a", "next_selector": ".more_news a::attr(href)"}


def listing_output(source: Source, known: dict[str, str] | None = None):
    spider = spider_for(ListingSpider, [source], today=SAVED, known_urls=known or {})
    response = saved_response("news/richmond_news.html", LISTING)
    requests, items = split(spider.parse_listing(response, source, page=1))
    return spider, requests, items


def test_every_article_on_the_listing_is_asked_for_with_its_headline():
    source = richmond()
    spider, requests, items = listing_output(source)
    assert items == []
    articles = [r for r in requests if r.url in URLS]
    assert [r.url for r in articles] == URLS, "all 56 headlines, in the page's order, once each"
    assert {r.url for r in requests} - set(URLS) == {
        LISTING + "/news_june_2025/garden_of_sanctuary_unveiled",
        LISTING + "/news_february_2026/community_effort_rare_plant",
    }, "and two older articles that summaries link to: no navigation, pager or archive"
    for request in articles:
        assert isinstance(request, scrapy.Request)
        assert request.callback == spider.parse_body and request.errback == spider.article_failed
        item = request.cb_kwargs["item"]
        assert item["url"] == request.url and item["kind"] == "news"
        assert (item["council"], item["source_id"]) == ("E09000027", LISTING)
    titles = {r.url: r.cb_kwargs["item"]["title"] for r in articles}
    assert {url: titles[url] for url in TITLES} == TITLES
    health = spider.health[source.id]
    assert (health.last_status, health.last_error) == (200, None) and health.last_success


def test_pages_outside_the_news_folder_are_not_taken_for_articles():
    """The listing is at /news (no slash): its articles are under /news/, and the sidebar's
    "Submit your news", "Press Office" and the like are not articles."""
    _, requests, _ = listing_output(richmond())
    outside = [r.url for r in requests if not urlsplit(r.url).path.startswith("/news/")]
    assert outside == []


def test_month_archives_are_not_taken_for_articles():
    """"View older news" and the sidebar's month archives ("June 2026", which the June
    articles sit under) lead to more lists, not to an article."""
    _, requests, _ = listing_output(richmond())
    archives = [r.url for r in requests if MONTH_ARCHIVE.match(urlsplit(r.url).path)]
    assert archives == []


def test_an_admins_selectors_give_exactly_the_articles_and_the_older_news_page():
    source = richmond(**CONFIGURED)
    spider, requests, items = listing_output(source)
    assert items == []
    *articles, older = requests
    assert [r.url for r in articles] == URLS
    assert all(r.callback == spider.parse_body for r in articles)
    assert older.url == LISTING + "/news_may_2026"
    assert older.callback == spider.parse_listing and older.cb_kwargs["page"] == 2
    assert spider.health[source.id].items_found == 56


def test_each_article_has_the_date_its_card_shows():
    """Richmond's cards show "30 Jun 26": a two-digit year."""
    _, requests, _ = listing_output(richmond(**CONFIGURED))
    shown = {
        r.url: (r.cb_kwargs["item"]["published"], r.cb_kwargs["item"]["date_source"])
        for r in requests
        if "item" in r.cb_kwargs
    }
    assert shown == {
        url: (f"2026-06-{day:02d}T00:00:00Z", "listing")
        for url, (_, day) in zip(URLS, ARTICLES, strict=True)
    }


def test_stored_articles_are_not_asked_for_again_and_a_page_of_them_ends_the_paging():
    source = richmond(**CONFIGURED)
    stored = {canonical_url(FIRST): "2026-06-30T12:00:00Z"}
    spider, requests, _ = listing_output(source, known=stored)
    assert [r.url for r in requests][:2] == [URLS[1], URLS[2]]
    assert FIRST not in [r.url for r in requests] and len(requests) == 56, "55 and older news"
    assert spider.health[source.id].items_found == 56, "found counts what the page shows"
    all_stored = {canonical_url(url): "2026-06-30T12:00:00Z" for url in URLS}
    _, requests, _ = listing_output(source, known=all_stored)
    assert requests == [], "nothing new here: older pages are not read"


def test_the_article_page_asked_for_is_stored_with_the_listings_headline():
    _, requests, _ = listing_output(richmond(**CONFIGURED))
    first = requests[0]
    name = "news/richmond_news_june_2026_mayor_invites_residents_charity_reception.html"
    page = saved_response(name, first.url)
    [item] = list(first.callback(page, **first.cb_kwargs))
    assert not isinstance(item, scrapy.Request)
    assert item["url"] == FIRST and item["title"] == TITLES[FIRST]
    assert item["body"] == (FILES / name).read_bytes() and item["encoding"] == "utf-8"
    assert (item["kind"], item["council"]) == ("news", "E09000027")

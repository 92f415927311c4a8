"""The SQL behind `radar ui`'s Atom feeds (alerts.ui_feeds), run through Datasette's own
connections so the concerns guard's authorizer applies to them as to any page.

None of these reads a concerns table: a feed is fetched by a feed reader, often shared, and
a concern's status shows only in its region's digest and the PSP report.
"""

from __future__ import annotations

# The newest week each radar table holds: the weekly history (recorded after every crawl by
# `radar run`) and `radar ui`'s own snapshot of this week (computed when it started).
LATEST_WEEKS = (
    "select (select max(week) from radar_history_weeks) as history, "
    "(select max(week) from radar_weeks) as snapshot, "
    "(select recorded_at from radar_history_weeks "
    " where week = (select max(week) from radar_history_weeks)) as recorded_at"
)

# A region's councils on the radar in a recorded week, ranked as computed. Factors are a
# JSON object and acute signals a JSON list (store.history).
REGION_HISTORY = """
select gss_code, council, region, score, baseline, trend, factors, stories, acute,
       top_headline, top_url
from radar_history where week = :week and region = :region and on_radar = 1 order by rank
"""

# The same from the UI's snapshot, in the CLI's order (store.ui.RADAR_ORDER). Its acute
# signals are one comma-separated string.
REGION_SNAPSHOT = """
select gss_code, council, region, score, baseline, trend, factors, stories, acute,
       top_headline, top_url
from radar_weeks where week = :week and region = :region
order by case when coalesce(acute, '') = '' then 0
         else length(acute) - length(replace(acute, ',', '')) + 1 end desc,
         priority desc, council
"""

COUNCIL = "select gss_code, name, region from councils where gss_code = :gss"

# A council's flagged items, newest first, each with its flags' factors and evidence.
COUNCIL_ITEMS = """
select i.id, i.title, i.url, coalesce(i.published, i.first_seen) as published, i.first_seen,
       i.kind,
       (select json_group_array(json_object('factor', f.factor, 'evidence', f.evidence,
                                            'page', f.page))
        from flags f where f.item_id = i.id) as flags
from items i join item_councils ic on ic.item_id = i.id
where ic.gss_code = :gss and exists (select 1 from flags f where f.item_id = i.id)
order by published desc, i.id
limit :limit
"""

"""`radar ui`'s feedback page: an adviser corrects the classifier on one item.

`/-/feedback/ITEM` shows the item's flags with their evidence, its councils and sentiment,
and a form: not about this factor (a false alarm), about a factor it missed, not about a
council, the right sentiment, a note. Posting it records a signed, dated judgement through
`store.feedback.record_feedback`, exactly as `radar feedback` does. Digests link each piece
of evidence here (with `ui.base_url` set), with the item's flagged factors ticked.

Behind the UI's login only: the store is confidential and a judgement changes what every
adviser's digest says, so on a UI started without a login ($RADAR_UI_PASSWORD or
$RADAR_UI_USERS) the page refuses (403) and says how to turn one on. A judgement is signed
with the signed-in user's name, never a name typed in the form, so it says who really gave
it. A post must carry Datasette's CSRF cookie and the same token in its form (checked here
as well: Datasette lets a request with no cookies through).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

from datasette import Response, hookimpl
from markupsafe import escape

from alerts.digest import FACTOR_NAMES
from domain.config import FACTORS, SENTIMENTS

PLUGIN = "council-radar"


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/feedback/(?P<item_id>[^/]+)$", feedback_page)]


def _store(datasette: Any) -> Any:
    from store import open_db

    return open_db((datasette.plugin_config(PLUGIN) or {})["store"])


async def feedback_page(datasette: Any, request: Any) -> Response:
    from store.feedback import FeedbackError, item_for_review, record_feedback

    if request.actor is None:
        return Response.html(
            _page("Sign-in needed", "<p>Feedback changes what every adviser's digest says, "
                  "so it is taken only from a signed-in adviser: start <code>radar ui</code> "
                  "with <code>$RADAR_UI_PASSWORD</code> or <code>$RADAR_UI_USERS</code> "
                  "set, and sign in.</p>"),
            status=403,
        )  # fmt: skip
    item_id = request.url_vars["item_id"]
    db = _store(datasette)
    try:
        message = ""
        if request.method == "POST":
            form = parse_qs((await request.post_body()).decode("utf-8", "replace"))
            # Datasette's CSRF check passes a request that carries no cookie at all, but a
            # browser sends the UI's basic-auth password with a forged cross-site form too:
            # a judgement needs the CSRF cookie and the same token in the form.
            cookie = request.cookies.get("ds_csrftoken", "")
            if not cookie or not secrets.compare_digest(form.get("csrftoken", [""])[0], cookie):
                return Response.html(_page("Refused", "<p>The form's token is missing or "
                                           "stale: reload the page and try again.</p>"), 403)
            given = [
                *(("not_factor", f) for f in form.get("not_factor", []) if f in FACTORS),
                *(("factor", f) for f in form.get("factor", []) if f in FACTORS),
                *(("not_council", c) for c in form.get("not_council", [])),
                *(
                    [("sentiment", form["sentiment"][0])]
                    if form.get("sentiment", [""])[0] in SENTIMENTS
                    else []
                ),
            ]
            adviser = request.actor["id"]
            note = form.get("note", [""])[0]
            if not given:
                message = "Nothing was ticked: nothing recorded."
            else:
                try:
                    record_feedback(db, item_id, adviser, given, note)
                    return Response.redirect(f"/-/feedback/{item_id}?recorded=1")
                except FeedbackError as exc:
                    message = str(exc)
        item = item_for_review(db, item_id)
    finally:
        db.close()
    if item is None:
        return Response.html(_page("No such item", "<p>No stored item with that id.</p>"), 404)
    if request.args.get("recorded"):
        message = "Recorded: the radar and the next digest read the item as you judged it."
    ticked = set((request.args.get("not_factor") or "").split(","))
    form = _form(item, ticked, message, request.scope["csrftoken"](), request.actor["id"])
    return Response.html(_page(item["title"] or item_id, form))


def _form(item: dict[str, Any], ticked: set[str], message: str, token: str, by: str) -> str:
    flagged = {f["factor"]: f for f in item["flags"]}
    parts = []
    if message:
        parts.append(f'<p class="message"><b>{escape(message)}</b></p>')
    link = item["url"] if item["url"].startswith(("http://", "https://")) else ""
    parts.append(
        f"<p>{escape(item['published'][:10])} · {escape(item['kind'] or '')}"
        + (f' · <a href="{escape(link)}">open the page</a>' if link else "")
        + "</p>"
    )
    parts.append(f'<form method="post"><input type="hidden" name="csrftoken" value="{token}">')
    parts.append("<h3>Flagged</h3>")
    if not flagged:
        parts.append("<p>Nothing is flagged.</p>")
    for factor, flag in flagged.items():
        check = " checked" if factor in ticked else ""
        page = f" (page {flag['page']})" if flag["page"] else ""
        parts.append(
            f'<p><label><input type="checkbox" name="not_factor" value="{factor}"{check}> '
            f"<b>Not</b> {escape(FACTOR_NAMES[factor])}</label><br>"
            f"<i>“{escape(flag['evidence'] or '')}”</i>{escape(page)}</p>"
        )
    missing = [f for f in FACTORS if f not in flagged]
    if missing:
        parts.append("<h3>Missed</h3><p>")
        parts += [
            f'<label><input type="checkbox" name="factor" value="{f}"> '
            f"{escape(FACTOR_NAMES[f])}</label><br>"
            for f in missing
        ]
        parts.append("</p>")
    if item["councils"]:
        parts.append("<h3>Councils</h3><p>")
        parts += [
            f'<label><input type="checkbox" name="not_council" value="{escape(c["gss_code"])}">'
            f" <b>Not</b> about {escape(c['name'])}</label><br>"
            for c in item["councils"]
        ]
        parts.append("</p>")
    options = "".join(
        f'<option value="{s}">{s}</option>' for s in ("", *SENTIMENTS)
    )
    parts.append(
        f"<h3>Sentiment</h3><p>Now: {escape(item['sentiment'] or 'not tagged')}. "
        f'Should be: <select name="sentiment">{options}</select></p>'
        f"<p>Signed as <b>{escape(by)}</b> (your sign-in).</p>"
        '<p><label>Why (optional) <input name="note" size="50"></label></p>'
        '<p><button type="submit">Record</button></p></form>'
    )
    if item["judgements"]:
        parts.append("<h3>Judgements so far</h3><ul>")
        parts += [
            f"<li>{escape(j['at'][:16].replace('T', ' '))} {escape(j['adviser'])}: "
            f"{escape(j['verdict'].replace('_', ' '))} {escape(j['value'])}"
            + (f" — {escape(j['note'])}" if j["note"] else "")
            + "</li>"
            for j in item["judgements"]
        ]
        parts.append("</ul>")
    return "\n".join(parts)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} — Council Radar feedback</title>"
        "<style>body{font-family:sans-serif;max-width:40em;margin:1em auto;padding:0 1em}"
        "i{color:#444}.message{background:#eef6ee;padding:.5em}</style></head><body>"
        f"<h2>{escape(title)}</h2>{body}"
        "<p><small>Council Radar. Confidential. Presence on the radar is not in itself an "
        "indication of failure.</small></p></body></html>"
    )

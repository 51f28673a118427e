"""The firm deadlines feed: valid iCalendar, stable UIDs, change counters, feed tokens, tenancy."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar

from tests.dashboard.seeding import Seeder
from tests.harness import Stack, running_api


def _events(ics: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(ics)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_the_feed_lists_open_due_times_and_court_deadlines_with_stable_uids(
    stack: Stack, seeder: Seeder
) -> None:
    firm = stack.user_ids["firm_a"]
    court = seeder.now + timedelta(days=5)
    engagement = await seeder.engagement(firm, court_deadline=court)
    due = await seeder.task(
        engagement,
        firm,
        created_ago=timedelta(hours=2),
        due_in=timedelta(hours=6),
        title="Draft the motion",
    )
    await seeder.task(
        engagement,
        firm,
        status="completed",
        created_ago=timedelta(hours=3),
        due_in=timedelta(hours=1),
        completed_ago=timedelta(minutes=5),
    )
    await seeder.task(engagement, firm, created_ago=timedelta(hours=1), due_in=None)
    other = await seeder.engagement(stack.user_ids["firm_b"], court_deadline=court)
    # A create whose start Temporal never confirmed is not an engagement yet (it may never be).
    await seeder.engagement(firm, court_deadline=court, started=False)

    response = await stack.call("GET", f"/firms/{firm}/deadlines.ics", "paula", 200)
    assert response.headers["content-type"].startswith("text/calendar")
    assert b"\r\n" in response.content  # RFC 5545 lines end in CRLF
    events = _events(response.content)
    assert set(events) == {f"task-{due}@docketflow", f"court-{engagement}@docketflow"}
    assert f"court-{other}@docketflow" not in events
    task_event = events[f"task-{due}@docketflow"]
    assert task_event["SUMMARY"] == "Due: Draft the motion"  # type: ignore[index]
    start = task_event["DTSTART"].dt  # type: ignore[index]
    assert abs(start - (seeder.now + timedelta(hours=6))) < timedelta(seconds=1)
    court_start = events[f"court-{engagement}@docketflow"]["DTSTART"].dt  # type: ignore[index]
    assert abs(court_start - court) < timedelta(seconds=1)


async def test_a_changed_due_time_bumps_sequence_and_last_modified_of_that_event_only(
    stack: Stack, seeder: Seeder
) -> None:
    firm = stack.user_ids["firm_a"]
    engagement = await seeder.engagement(firm)
    moved = await seeder.task(
        engagement, firm, created_ago=timedelta(hours=1), due_in=timedelta(hours=4)
    )
    kept = await seeder.task(
        engagement, firm, created_ago=timedelta(hours=1), due_in=timedelta(hours=5)
    )
    path = f"/firms/{firm}/deadlines.ics"
    first = _events((await stack.call("GET", path, "maria", 200)).content)
    again = _events((await stack.call("GET", path, "maria", 200)).content)
    uid_moved, uid_kept = f"task-{moved}@docketflow", f"task-{kept}@docketflow"
    assert again[uid_moved]["SEQUENCE"] == first[uid_moved]["SEQUENCE"] == 0  # type: ignore[index]

    await asyncio.sleep(1.1)  # LAST-MODIFIED has one-second resolution
    await seeder.move_due(moved, timedelta(hours=8))  # e.g. the clock paused while on hold
    after = _events((await stack.call("GET", path, "maria", 200)).content)
    assert after[uid_moved]["SEQUENCE"] == 1  # type: ignore[index]
    assert after[uid_moved]["LAST-MODIFIED"].dt > first[uid_moved]["LAST-MODIFIED"].dt  # type: ignore[index]
    assert after[uid_kept]["SEQUENCE"] == 0  # type: ignore[index]
    assert after[uid_kept]["LAST-MODIFIED"].dt == first[uid_kept]["LAST-MODIFIED"].dt  # type: ignore[index]


async def test_a_feed_token_in_the_url_works_without_a_header_and_can_be_revoked(
    stack: Stack, seeder: Seeder
) -> None:
    firm_a, firm_b = stack.user_ids["firm_a"], stack.user_ids["firm_b"]
    engagement = await seeder.engagement(firm_a)
    task = await seeder.task(
        engagement, firm_a, created_ago=timedelta(hours=1), due_in=timedelta(hours=2)
    )
    minted = (await stack.call("POST", f"/firms/{firm_a}/calendar-token", "paula", 201)).json()
    url = urlsplit(minted["url"])
    assert url.path == f"/api/v1/firms/{firm_a}/deadlines.ics"
    feed = await stack.http.get(f"{url.path}?{url.query}")  # no Authorization header
    assert feed.status_code == 200
    assert f"task-{task}@docketflow" in _events(feed.content)

    token = minted["token"]
    # scoped: not another firm's feed, and not a bearer token for the API
    other = await stack.http.get(f"/api/v1/firms/{firm_b}/deadlines.ics?token={token}")
    assert other.status_code == 404
    me = await stack.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    forged = await stack.http.get(f"{url.path}?token={token[:-4]}AAAA")
    assert forged.status_code == 401

    # minting again replaces the old URL; revoking kills the new one
    newer = (await stack.call("POST", f"/firms/{firm_a}/calendar-token", "paula", 201)).json()
    stale = await stack.http.get(f"{url.path}?token={token}")
    assert stale.status_code == 401 and "revoked" in stale.json()["detail"]
    assert (await stack.http.get(f"{url.path}?token={newer['token']}")).status_code == 200
    await stack.call("DELETE", f"/firms/{firm_a}/calendar-token", "paula", 204)
    assert (await stack.http.get(f"{url.path}?token={newer['token']}")).status_code == 401

    trail = (await stack.call("GET", "/audit?limit=50", "maria", 200)).json()
    actions = [e["action"] for e in trail if e["object_id"] == firm_a]
    assert actions.count("calendar_token.minted") == 2 and "calendar_token.revoked" in actions


async def test_a_partner_cannot_read_or_subscribe_to_another_firms_feed(stack: Stack) -> None:
    firm_b = stack.user_ids["firm_b"]
    await stack.call("GET", f"/firms/{firm_b}/deadlines.ics", "paula", 404)
    await stack.call("POST", f"/firms/{firm_b}/calendar-token", "paula", 404)
    await stack.call("GET", f"/firms/{firm_b}/deadlines.ics", "oscar", 200)
    assert (await stack.http.get(f"/api/v1/firms/{firm_b}/deadlines.ics")).status_code == 401


async def test_an_unchanged_feed_is_served_again_and_each_change_shows_on_the_next_fetch(
    stack: Stack, seeder: Seeder
) -> None:
    firm = stack.user_ids["firm_a"]
    engagement = await seeder.engagement(firm)
    renamed = await seeder.task(
        engagement, firm, created_ago=timedelta(hours=1), due_in=timedelta(hours=4)
    )
    finished = await seeder.task(
        engagement, firm, created_ago=timedelta(hours=1), due_in=timedelta(hours=5)
    )
    path = f"/firms/{firm}/deadlines.ics"
    await stack.call("GET", path, "maria", 200)  # records the events' counters
    settled = (await stack.call("GET", path, "maria", 200)).content
    await asyncio.sleep(1.1)  # DTSTAMP has one-second resolution: a re-render would show
    assert (await stack.call("GET", path, "maria", 200)).content == settled

    await seeder.edit_task(renamed, title="Draft the amended motion")
    await seeder.edit_task(finished, status="completed", completed_at=seeder.now)
    added = await seeder.task(
        engagement, firm, created_ago=timedelta(minutes=1), due_in=timedelta(hours=6)
    )
    events = _events((await stack.call("GET", path, "maria", 200)).content)
    assert set(events) == {f"task-{renamed}@docketflow", f"task-{added}@docketflow"}
    assert events[f"task-{renamed}@docketflow"]["SUMMARY"] == "Due: Draft the amended motion"  # type: ignore[index]
    assert events[f"task-{renamed}@docketflow"]["SEQUENCE"] == 1  # type: ignore[index]
    again = _events((await stack.call("GET", path, "maria", 200)).content)
    assert again[f"task-{renamed}@docketflow"]["SEQUENCE"] == 1  # type: ignore[index]


async def test_a_change_counted_by_another_api_replica_shows_in_this_replicas_feed(
    stack: Stack, seeder: Seeder
) -> None:
    """Each replica keeps its own rendered feeds; the change check reads the counters stored
    in PostgreSQL, so a replica never serves an event older than one another replica served."""
    firm = stack.user_ids["firm_a"]
    engagement = await seeder.engagement(firm)
    task = await seeder.task(
        engagement, firm, created_ago=timedelta(hours=1), due_in=timedelta(hours=4)
    )
    path, uid = f"/firms/{firm}/deadlines.ics", f"task-{task}@docketflow"
    headers = stack.auth("maria")
    for _ in range(2):  # this replica now holds the rendered feed
        assert _events((await stack.call("GET", path, "maria", 200)).content)[uid]["SEQUENCE"] == 0  # type: ignore[index]

    async with running_api(stack.settings) as (other, _):
        # the due time moves and moves back; only the other replica is asked in between
        await seeder.move_due(task, timedelta(hours=8))
        moved = await other.get(f"/api/v1{path}", headers=headers)
        assert _events(moved.content)[uid]["SEQUENCE"] == 1  # type: ignore[index]
        await seeder.move_due(task, timedelta(hours=4))

    back = _events((await stack.call("GET", path, "maria", 200)).content)[uid]
    assert back["SEQUENCE"] == 2  # type: ignore[index]
    start = back["DTSTART"].dt  # type: ignore[index]
    assert abs(start - (seeder.now + timedelta(hours=4))) < timedelta(seconds=1)

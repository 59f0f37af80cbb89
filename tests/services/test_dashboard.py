"""The mentor dashboard: aggregates, attention reasons, privacy rules, paging, export."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.clock import FixedClock
from bot.services.dashboard import EXPORT_COLUMNS, DashboardService, Section
from bot.services.progress import ProgressService
from tests.services.test_progress import NOW, Seed, at, monday

GUILD, OTHER = 10, 20


@pytest.fixture
def seed(sessionmaker: async_sessionmaker[AsyncSession]) -> Seed:
    return Seed(sessionmaker)


@pytest.fixture
def dashboard(sessionmaker: async_sessionmaker[AsyncSession]) -> DashboardService:
    clock = FixedClock(NOW)
    return DashboardService(sessionmaker, ProgressService(sessionmaker, clock=clock), clock=clock)


async def cohort(seed: Seed) -> dict[str, int]:
    """Six members here (four share), each with something to notice or not; one elsewhere."""
    ids = {
        "rising": await seed.member(GUILD, 1, "Rae", share=True),
        "missing": await seed.member(GUILD, 2, "Mo", share=True),
        "late": await seed.member(GUILD, 3, "Lee", share=True),
        "private": await seed.member(GUILD, 4, "Pat"),
        "alerted": await seed.member(GUILD, 5, "Al"),
        "fine": await seed.member(GUILD, 6, "Fin", share=True),
        "fine_dm": await seed.member(0, 6, "Fin"),
        "elsewhere": await seed.member(OTHER, 7, "Eli", share=True),
    }
    for weeks_ago, score in ((3, 3), (2, 4), (0, 6)):
        await seed.score(ids["rising"], monday(weeks_ago), score)
        # The same rise for a member who does not share, and for one in another server.
        await seed.score(ids["private"], monday(weeks_ago), score)
        await seed.score(ids["elsewhere"], monday(weeks_ago), score)
    for who in ("missing", "private", "elsewhere"):
        await seed.debrief(ids[who], at(monday(3)), status="sent", answered=True)
        await seed.debrief(ids[who], at(monday(2)), status="expired")
        # Sent, never answered, and past its six hours.
        await seed.debrief(ids[who], at(monday(1)), status="sent")
    # A snoozed week: the reminder was answered (snoozed), its re-send is not counted again.
    await seed.debrief(ids["fine"], at(monday(1)), status="sent", answered=True)
    key = f"{monday(1).isoformat()}+snooze1"
    await seed.debrief(ids["fine"], at(monday(1), 19), status="expired", key=key)
    # Still inside its window: neither answered nor missed yet.
    await seed.debrief(ids["fine"], NOW - timedelta(hours=1), status="sent")
    for who in ("late", "private", "elsewhere"):
        await seed.commitment(ids[who], "write the plan", due=NOW.date() - timedelta(days=8))
    await seed.commitment(ids["fine"], "due soon", due=NOW.date() - timedelta(days=6))
    await seed.commitment(ids["fine"], "done", status="done", completed=NOW - timedelta(days=2))
    await seed.commitment(ids["fine"], "old", created=NOW - timedelta(days=60))
    await seed.safety(ids["alerted"], NOW - timedelta(days=3))
    # A DM conversation's alert reaches this server too; an old one does not count.
    await seed.safety(ids["fine_dm"], NOW - timedelta(days=1))
    await seed.safety(ids["private"], NOW - timedelta(days=45))
    await seed.safety(ids["elsewhere"], NOW - timedelta(days=1))
    await seed.session(ids["rising"], when=NOW - timedelta(days=2))
    await seed.session(ids["private"], when=NOW - timedelta(days=20))
    await seed.session(ids["fine"], when=NOW - timedelta(days=40))
    await seed.session(ids["elsewhere"], when=NOW - timedelta(days=1))
    return ids


async def test_figures_leave_out_a_few_private_members_and_everyone_elsewhere(
    seed: Seed, dashboard: DashboardService
) -> None:
    await cohort(seed)
    found = await dashboard.overview(GUILD)
    f = found.figures
    assert (f.members, f.sharing) == (6, 4)
    # Pat and Al keep their progress private: two are too few to count without exposing them.
    assert not f.private_counted
    assert (f.active_short, f.active_long) == (1, 1)
    # Mo: one answered and two missed; Fin's snoozed week answered once.
    assert (f.debriefs_answered, f.debriefs_missed) == (2, 2)
    assert f.completion == pytest.approx(0.5)
    # Made in 30 days: Lee's overdue one, "due soon" and "done"; completed: "done".
    assert (f.commitments_made, f.commitments_completed) == (3, 1)


async def test_five_private_members_are_counted_in_the_figures(
    seed: Seed, dashboard: DashboardService
) -> None:
    await cohort(seed)
    for n in range(3):
        quiet = await seed.member(GUILD, 30 + n, f"Quiet{n}")
        await seed.session(quiet, when=NOW - timedelta(days=1))
    found = await dashboard.overview(GUILD)
    f = found.figures
    assert (f.members, f.sharing, f.private_counted) == (9, 4, True)
    assert (f.active_short, f.active_long) == (4, 5)
    assert (f.debriefs_answered, f.debriefs_missed) == (3, 4)
    assert (f.commitments_made, f.commitments_completed) == (4, 1)
    # Counted, yet still not listed.
    assert {r.name for r in found.members} == {"Rae", "Mo", "Lee", "Al", "Fin"}


async def test_reasons_only_for_sharing_members_and_safety_for_anyone(
    seed: Seed, dashboard: DashboardService
) -> None:
    await cohort(seed)
    found = await dashboard.overview(GUILD)
    listed = {row.name: row for row in found.members}
    assert set(listed) == {"Rae", "Mo", "Lee", "Al", "Fin"}
    assert "Pat" not in listed
    assert "Eli" not in listed
    assert listed["Rae"].reasons == ["stress up from 3 to 6 in 3 weeks"]
    assert listed["Mo"].reasons == ["missed 2 debriefs in the last 4 weeks"]
    assert listed["Lee"].reasons == [f"commitment overdue since {NOW.date() - timedelta(8):%d %b}"]
    assert listed["Al"].reasons == [f"safety alert on {NOW - timedelta(days=3):%d %b %Y}"]
    assert listed["Fin"].reasons == [f"safety alert on {NOW - timedelta(days=1):%d %b %Y}"]
    # Someone who does not share shows nothing but the alert.
    assert not listed["Al"].shares
    assert (listed["Al"].latest_stress, listed["Al"].open_commitments) == (None, None)
    assert (listed["Rae"].latest_stress, listed["Lee"].open_commitments) == (6, 1)
    assert listed["Rae"].last_active == NOW - timedelta(days=2)
    assert found.attention == 5
    # Safety alerts first, then the others by name.
    assert [r.name for r in found.members] == ["Al", "Fin", "Lee", "Mo", "Rae"]
    assert not found.per_member_hidden


async def test_a_small_server_shows_figures_but_hides_everyone_but_alerts(
    seed: Seed, dashboard: DashboardService
) -> None:
    rising = await seed.member(GUILD, 1, "Rae", share=True)
    late = await seed.member(GUILD, 2, "Lee", share=True)
    alerted = await seed.member(GUILD, 3, "Al", share=True)
    await seed.member(GUILD, 4, "Pat", share=True)
    for weeks_ago, score in ((2, 2), (0, 7)):
        await seed.score(rising, monday(weeks_ago), score)
    await seed.commitment(late, "plan", due=date(2026, 1, 5))
    await seed.safety(alerted, NOW - timedelta(days=1))
    await seed.session(rising, when=NOW - timedelta(days=1))
    found = await dashboard.overview(GUILD)
    assert found.per_member_hidden
    assert (found.figures.members, found.figures.active_short) == (4, 1)
    assert found.figures.commitments_made == 1
    assert [(r.name, r.reasons, r.shares) for r in found.members] == [
        ("Al", [f"safety alert on {NOW - timedelta(days=1):%d %b %Y}"], False)
    ]
    export = await dashboard.export_csv(GUILD)
    assert (export.members, export.per_member_hidden) == (0, True)
    rows = list(csv.reader(io.StringIO(export.data.decode())))
    assert [r[0] for r in rows] == ["member", "Totals (4 members)"]


async def test_pages_of_ten(seed: Seed, dashboard: DashboardService) -> None:
    for n in range(23):
        await seed.member(GUILD, 100 + n, f"m{n:02d}", share=True)
    await seed.member(GUILD, 200, "quiet")
    first = await dashboard.overview(GUILD)
    assert (first.page.number, first.page.pages) == (0, 3)
    assert [r.name for r in first.members] == [f"m{n:02d}" for n in range(10)]
    last = await dashboard.overview(GUILD, page=2)
    assert [r.name for r in last.members] == ["m20", "m21", "m22"]
    assert (await dashboard.overview(GUILD, page=40)).page.number == 2
    assert all(r.reasons == [] for r in last.members)


async def test_extra_sections_are_shown_and_a_failing_one_is_skipped(
    seed: Seed, dashboard: DashboardService, caplog: pytest.LogCaptureFixture
) -> None:
    await seed.member(GUILD, 1, "Rae", share=True)

    async def office_hours(guild_id: int) -> Section:
        return Section("Office hours this week", [f"guild {guild_id}: 3 sessions"])

    async def broken(guild_id: int) -> Section:
        raise RuntimeError("down")

    async def nothing(guild_id: int) -> None:
        return None

    for source in (broken, office_hours, nothing):
        dashboard.add_section(source)
    with caplog.at_level(logging.ERROR):
        found = await dashboard.overview(GUILD)
    assert found.sections == [Section("Office hours this week", [f"guild {GUILD}: 3 sessions"])]
    assert "dashboard section" in caplog.text


async def test_cohort_weeks_hide_weeks_of_fewer_than_five(
    seed: Seed, dashboard: DashboardService
) -> None:
    members = [await seed.member(GUILD, n, f"m{n}") for n in range(6)]
    outsider = await seed.member(OTHER, 99, "out")
    for member_id, score in zip(members, (1, 3, 5, 7, 9, 10), strict=True):
        await seed.score(member_id, monday(1), score)
        await seed.debrief(member_id, at(monday(1)), status="sent", answered=score < 9)
    for member_id in members[:4]:
        await seed.score(member_id, monday(0), 2)
        await seed.debrief(member_id, at(monday(0)), status="expired")
    await seed.score(outsider, monday(1), 10)
    await seed.debrief(outsider, at(monday(1)), status="expired")
    weeks = await dashboard.cohort_weeks(GUILD, weeks=4)
    assert [w.week_start for w in weeks] == [monday(3), monday(2), monday(1), monday(0)]
    last_week, this_week = weeks[2], weeks[3]
    assert (last_week.scores, last_week.median, last_week.q1, last_week.q3) == (6, 6.0, 3.5, 8.5)
    assert (last_week.debriefs, last_week.completion) == (6, pytest.approx(4 / 6))
    assert (this_week.scores, this_week.median, this_week.debriefs) == (4, None, 4)
    assert this_week.completion is None
    assert weeks[0].scores == 0


async def test_export_lists_sharing_members_only_and_defuses_formulas(
    seed: Seed, dashboard: DashboardService
) -> None:
    ids = await cohort(seed)
    await seed.member(GUILD, 8, "=HYPERLINK(1)", share=True)
    export = await dashboard.export_csv(GUILD)
    rows = list(csv.DictReader(io.StringIO(export.data.decode())))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    totals, *people = rows
    # Five share; the two private members are too few to count in the totals.
    assert totals["member"] == "Totals (5 members)"
    assert totals["debriefs_missed_30d"] == "2"
    assert totals["commitments_open"] == "3"
    names = [r["member"] for r in people]
    assert names == ["'=HYPERLINK(1)", "Fin", "Lee", "Mo", "Rae"]
    assert export.members == 5
    user_ids = {r["user_id"] for r in people}
    assert user_ids == {"8", "6", "3", "2", "1"}
    mo = next(r for r in people if r["member"] == "Mo")
    assert (mo["debriefs_answered_30d"], mo["debriefs_missed_30d"]) == ("1", "2")
    assert mo["debrief_completion_30d"] == "0.33"
    rae = next(r for r in people if r["member"] == "Rae")
    assert (rae["latest_stress"], rae["conversations_30d"]) == ("6", "1")
    assert rae["last_active"] == (NOW - timedelta(days=2)).date().isoformat()
    assert rae["needs_attention"] == "stress up from 3 to 6 in 3 weeks"
    fin = next(r for r in people if r["member"] == "Fin")
    assert (fin["commitments_made_30d"], fin["commitments_completed_30d"]) == ("2", "1")
    assert (fin["commitments_open"], fin["conversations_30d"]) == ("2", "0")
    text = export.data.decode()
    for hidden in ("Pat", "Eli", "Al,"):
        assert hidden not in text
    assert ids["private"]  # Pat exists, with plenty to report, and is still absent


async def test_member_view_only_when_shared_here(seed: Seed, dashboard: DashboardService) -> None:
    ids = await cohort(seed)
    await seed.goal(ids["rising"], "Lead the retro")
    rae = await dashboard.member(GUILD, 1)
    assert rae is not None
    assert rae.goals == ["Lead the retro"]
    assert [s for _, s in rae.stress] == [3, 4, 6]
    assert await dashboard.member(GUILD, 4) is None  # Pat does not share
    assert await dashboard.member(GUILD, 7) is None  # Eli shares, in another server
    assert await dashboard.member(OTHER, 7) is not None

"""Office hours on a real database: the queue, claims under a race, closing, the weekly tick."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import repositories as repo
from bot.db.models import Member, OfficeHours, OfficeHoursEntry, OutboxMessage
from bot.db.uow import unit_of_work
from bot.domain.frameworks import Catalogue
from bot.errors import UserFacingError
from bot.services.clock import FixedClock
from bot.services.coaching import CoachingService, MemberRef
from bot.services.officehours import FOLLOWUP_FRAMEWORK, NoOfficeHours, OfficeHoursService
from bot.services.officehours_weekly import TickReport, compose
from bot.services.reminders import Reminders
from tests.fixtures_db import on_postgresql

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
GUILD, CHANNEL, OTHER_CHANNEL = 10, 20, 21
MENTOR = MemberRef(GUILD, 100, "Morgan")
MENTOR_2 = MemberRef(GUILD, 101, "Sam")


def person(n: int) -> MemberRef:
    return MemberRef(GUILD, 1000 + n, f"member{n}")


ALICE, BOB, CAROL = person(1), person(2), person(3)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
def service(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> OfficeHoursService:
    return OfficeHoursService(sessionmaker, clock=clock)


async def open_here(service: OfficeHoursService, minutes: int = 60) -> int:
    sitting = await service.open(
        GUILD,
        CHANNEL,
        MENTOR,
        duration=timedelta(minutes=minutes),
        topic="CVs",
        voice_channel_id=None,
    )
    return sitting.id


async def entries(sm: async_sessionmaker[AsyncSession]) -> list[OfficeHoursEntry]:
    async with sm() as s:
        return list(
            (await s.execute(select(OfficeHoursEntry).order_by(OfficeHoursEntry.id))).scalars()
        )


async def outbox_rows(sm: async_sessionmaker[AsyncSession], kind: str) -> list[OutboxMessage]:
    async with sm() as s:
        found = await s.execute(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
        return list(found.scalars())


async def user_of(sm: async_sessionmaker[AsyncSession], member_id: int) -> int:
    async with sm() as s:
        member = await s.get(Member, member_id)
        assert member is not None
        return member.user_id


async def test_members_queue_in_order_with_places_and_waits(service: OfficeHoursService) -> None:
    sitting_id = await open_here(service)
    assert await service.joinable(sitting_id, GUILD, ALICE.user_id) == "CVs"
    places = [
        await service.join(sitting_id, who, goal=f"goal of {who.display_name}", tried=None)
        for who in (ALICE, BOB, CAROL)
    ]
    assert [p.place for p in places] == [1, 2, 3]
    assert places[-1].waiting == 3
    # No session has been timed yet: ten minutes a head.
    assert [p.wait for p in places] == [timedelta(0), timedelta(minutes=10), timedelta(minutes=20)]
    assert "You're 3rd in the queue (2 others waiting)" in places[2].text
    sitting = await service.sitting(sitting_id)
    assert sitting is not None
    assert (sitting.waiting, sitting.status, sitting.mentor) == (3, "open", "Morgan")


async def test_a_member_cannot_be_in_the_same_queue_twice(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sitting_id = await open_here(service)
    await service.join(sitting_id, BOB, goal="first", tried=None)
    await service.join(sitting_id, ALICE, goal="mock interview", tried="LeetCode")
    with pytest.raises(UserFacingError, match="already in this queue, 2nd in line"):
        await service.join(sitting_id, ALICE, goal="again", tried=None)
    with pytest.raises(UserFacingError, match="already in this queue"):
        await service.joinable(sitting_id, GUILD, ALICE.user_id)
    # Two submits at once (two forms open): one place only.
    results = await asyncio.gather(
        service.join(sitting_id, CAROL, goal="a", tried=None),
        service.join(sitting_id, CAROL, goal="b", tried=None),
        return_exceptions=True,
    )
    assert sum(isinstance(r, UserFacingError) for r in results) == 1
    assert len(await entries(sessionmaker)) == 3
    # After leaving, joining again is a new place at the end.
    await service.leave(GUILD, CHANNEL, ALICE.user_id, None)
    again = await service.join(sitting_id, ALICE, goal="back again", tried=None)
    assert again.place == 3
    found = [(e.goal, e.status) for e in await entries(sessionmaker)]
    assert found[:2] == [("first", "waiting"), ("mock interview", "left")]
    assert found[2][0] in {"a", "b"}
    assert found[2:] == [(found[2][0], "waiting"), ("back again", "waiting")]


async def test_empty_goal_and_closed_sittings_are_refused(service: OfficeHoursService) -> None:
    sitting_id = await open_here(service)
    with pytest.raises(UserFacingError, match="what you'd like from the session"):
        await service.join(sitting_id, ALICE, goal="   ", tried=None)
    await service.close(GUILD, CHANNEL)
    with pytest.raises(UserFacingError, match="closed"):
        await service.join(sitting_id, ALICE, goal="x", tried=None)
    with pytest.raises(UserFacingError, match="closed"):
        await service.joinable(sitting_id, GUILD, ALICE.user_id)
    with pytest.raises(NoOfficeHours):
        await service.next(GUILD, CHANNEL, MENTOR)
    with pytest.raises(NoOfficeHours):
        await service.find(None, CHANNEL)


async def test_one_sitting_per_channel_and_commands_find_the_right_one(
    service: OfficeHoursService,
) -> None:
    first = await open_here(service)
    with pytest.raises(UserFacingError, match="already open in this channel"):
        await open_here(service)
    # From another channel, the server's only sitting is meant.
    assert (await service.find(GUILD, 999)).id == first
    second = await service.open(
        GUILD, OTHER_CHANNEL, MENTOR_2, duration=timedelta(hours=1), topic=None, voice_channel_id=5
    )
    assert (await service.find(GUILD, OTHER_CHANNEL)).id == second.id
    assert (await service.find(GUILD, CHANNEL)).id == first
    with pytest.raises(UserFacingError, match="open in several channels"):
        await service.find(GUILD, 999)
    # A sitting belongs to its server: no one joins it from another.
    stranger = MemberRef(GUILD + 1, 77, "stranger")
    with pytest.raises(UserFacingError, match="closed"):
        await service.joinable(first, stranger.guild_id, stranger.user_id)
    with pytest.raises(UserFacingError, match="closed"):
        await service.join(first, stranger, goal="g", tried=None)


async def test_two_mentors_pressing_next_at_once_take_two_different_members(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sitting_id = await open_here(service)
    for who in (ALICE, BOB, CAROL):
        await service.join(sitting_id, who, goal=f"goal {who.display_name}", tried="notes")
    first, second = await asyncio.gather(
        service.next(GUILD, CHANNEL, MENTOR), service.next(GUILD, CHANNEL, MENTOR_2)
    )
    assert first.taken is not None
    assert second.taken is not None
    taken = {first.taken.user_id, second.taken.user_id}
    assert taken == {ALICE.user_id, BOB.user_id}
    rows = await entries(sessionmaker)
    called = [r for r in rows if r.status == "called"]
    assert len(called) == 2
    assert len({r.mentor_member_id for r in called}) == 2
    assert first.taken.prep.goal.startswith("goal member")
    assert first.taken.prep.tried == "notes"


async def test_many_mentors_racing_take_every_member_exactly_once(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sitting_id = await open_here(service)
    for n in range(24):
        await service.join(sitting_id, person(n), goal=f"goal {n}", tried=None)
    mentors = [MemberRef(GUILD, 500 + m, f"mentor{m}") for m in range(6)]
    taken: list[int] = []

    async def keep_taking(mentor: MemberRef) -> None:
        while True:
            result = await service.next(GUILD, CHANNEL, mentor)
            if result.taken is None:
                return
            taken.append(result.taken.user_id)

    await asyncio.gather(*(keep_taking(m) for m in mentors))
    assert sorted(taken) == sorted(person(n).user_id for n in range(24))
    # Each press ended the mentor's turn before; the last press found nobody and ended theirs.
    assert [r.status for r in await entries(sessionmaker)] == ["done"] * 24
    assert len(await outbox_rows(sessionmaker, "oh_followup")) == 24


@pytest.mark.skipif(on_postgresql(), reason="arrival order is serialised by SQLite's write gate")
async def test_joins_started_together_are_queued_in_the_order_they_started(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sitting_id = await open_here(service)
    people = [person(n) for n in range(40)]
    tasks = [
        asyncio.ensure_future(service.join(sitting_id, who, goal="g", tried=None)) for who in people
    ]
    places = await asyncio.gather(*tasks)
    assert [p.place for p in places] == list(range(1, 41))
    users = [await user_of(sessionmaker, r.member_id) for r in await entries(sessionmaker)]
    assert users == [who.user_id for who in people]


async def test_next_ends_the_turn_and_queues_the_follow_up_dm(
    service: OfficeHoursService,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    sitting_id = await open_here(service)
    await service.join(sitting_id, ALICE, goal="negotiate my offer", tried=None)
    await service.join(sitting_id, BOB, goal="system design", tried=None)
    first = await service.next(GUILD, CHANNEL, MENTOR)
    assert first.finished is None
    assert first.taken is not None
    assert first.taken.user_id == ALICE.user_id
    clock.advance(timedelta(minutes=18))
    second = await service.next(GUILD, CHANNEL, MENTOR)
    assert second.finished == "member1"
    assert second.taken is not None
    assert second.taken.prep.waited == timedelta(minutes=18)
    (row,) = await outbox_rows(sessionmaker, "oh_followup")
    assert await user_of(sessionmaker, row.member_id) == ALICE.user_id
    dm = await Reminders(sessionmaker).compose(row)
    assert dm is not None
    assert "Thank you for coming to office hours with Morgan" in dm.content
    assert [b.custom_id for b in dm.buttons] == [f"ohnext:{row.payload['entry_id']}"]
    # The mentor's Finish button ends Bob's turn; only that mentor may press it.
    with pytest.raises(UserFacingError, match="not found among yours"):
        await service.finish(second.taken.entry_id, MENTOR_2.user_id)
    assert await service.finish(second.taken.entry_id, MENTOR.user_id) == "member2"
    with pytest.raises(UserFacingError, match="ended already"):
        await service.finish(second.taken.entry_id, MENTOR.user_id)
    assert len(await outbox_rows(sessionmaker, "oh_followup")) == 2
    empty = await service.next(GUILD, CHANNEL, MENTOR)
    assert (empty.finished, empty.taken) == (None, None)


async def test_the_estimate_follows_the_mentors_own_average(
    service: OfficeHoursService, clock: FixedClock
) -> None:
    sitting_id = await open_here(service)
    for who in (ALICE, BOB):
        await service.join(sitting_id, who, goal="g", tried=None)
    await service.next(GUILD, CHANNEL, MENTOR)
    clock.advance(timedelta(minutes=30))
    await service.next(GUILD, CHANNEL, MENTOR)  # Alice's turn took 30 minutes
    clock.advance(timedelta(minutes=20))
    await service.next(GUILD, CHANNEL, MENTOR)  # Bob's took 20: the average is 25
    for n in range(4, 7):
        await service.join(sitting_id, person(n), goal="g", tried=None)
    text = await service.queue_text(GUILD, CHANNEL, person(6).user_id, mentor=False)
    assert text.startswith("You're 3rd in the queue")
    assert "about 50 minutes" in text


async def test_prep_shows_commitments_only_to_a_member_who_shares(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sitting_id = await open_here(service)
    await service.join(sitting_id, ALICE, goal="g", tried=None)
    await service.join(sitting_id, BOB, goal="g", tried=None)
    async with unit_of_work(sessionmaker) as s:
        for who, share in ((ALICE, False), (BOB, True)):
            member = await repo.find_member(s, guild_id=GUILD, user_id=who.user_id)
            assert member is not None
            member.share_progress = share
            await repo.add_commitment(
                s,
                member_id=member.id,
                session_id=None,
                text="send 3 applications",
                due_date=date(2026, 11, 27),
            )
    private = await service.next(GUILD, CHANNEL, MENTOR)
    shared = await service.next(GUILD, CHANNEL, MENTOR_2)
    assert private.taken is not None
    assert shared.taken is not None
    assert private.taken.prep.commitments is None
    assert shared.taken.prep.commitments == ["send 3 applications (by Fri 27 Nov)"]


async def test_mentors_see_every_goal_and_members_only_their_place(
    service: OfficeHoursService,
) -> None:
    sitting_id = await open_here(service)
    await service.join(sitting_id, ALICE, goal="practise salary talk", tried=None)
    await service.join(sitting_id, BOB, goal="review my portfolio", tried=None)
    await service.next(GUILD, CHANNEL, MENTOR)
    await service.join(sitting_id, CAROL, goal="first 90 days as a lead", tried=None)
    board = await service.queue_text(GUILD, CHANNEL, MENTOR.user_id, mentor=True)
    assert "With a mentor now: member1." in board
    assert "1. **member2**" in board
    assert "review my portfolio" in board
    assert "first 90 days as a lead" in board
    mine = await service.queue_text(GUILD, CHANNEL, CAROL.user_id, mentor=False)
    assert "2nd in the queue" in mine
    assert "portfolio" not in mine
    assert "member2" not in mine
    outsider = await service.queue_text(GUILD, CHANNEL, 4242, mentor=False)
    assert outsider.startswith("Waiting now: 2 people.")
    being_seen = await service.queue_text(GUILD, CHANNEL, ALICE.user_id, mentor=False)
    assert "your mentor is with you now" in being_seen


async def test_leaving(service: OfficeHoursService) -> None:
    sitting_id = await open_here(service)
    await service.join(sitting_id, ALICE, goal="g", tried=None)
    await service.join(sitting_id, BOB, goal="g", tried=None)
    with pytest.raises(UserFacingError, match="not in this queue"):
        await service.leave(GUILD, CHANNEL, CAROL.user_id, None)
    await service.next(GUILD, CHANNEL, MENTOR)
    with pytest.raises(UserFacingError, match="with your mentor right now"):
        await service.leave(GUILD, CHANNEL, ALICE.user_id, sitting_id)
    sitting = await service.leave(GUILD, CHANNEL, BOB.user_id, sitting_id)
    assert sitting.waiting == 0


async def test_closing_ends_turns_and_tells_who_was_still_waiting(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sitting_id = await open_here(service)
    for who in (ALICE, BOB, CAROL):
        await service.join(sitting_id, who, goal="g", tried=None)
    await service.next(GUILD, CHANNEL, MENTOR)
    closing = await service.close(GUILD, CHANNEL)
    assert (closing.finished, closing.missed) == (1, 2)
    assert closing.sitting.status == "closed"
    assert closing.sitting.seen == 1
    assert [e.status for e in await entries(sessionmaker)] == ["done", "missed", "missed"]
    notices = await outbox_rows(sessionmaker, "oh_closed")
    assert [await user_of(sessionmaker, r.member_id) for r in notices] == [
        BOB.user_id,
        CAROL.user_id,
    ]
    async with sessionmaker() as s:
        dm = await compose(s, notices[0])
    assert dm is not None
    assert f"<#{CHANNEL}> have closed before your turn came" in dm.content
    assert len(await outbox_rows(sessionmaker, "oh_followup")) == 1
    with pytest.raises(NoOfficeHours):
        await service.close(GUILD, CHANNEL)


async def test_the_tick_closes_a_sitting_when_its_time_is_up(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    sitting_id = await open_here(service, minutes=45)
    await service.join(sitting_id, ALICE, goal="g", tried=None)
    clock.advance(timedelta(minutes=44))
    assert (await service.weekly.tick()).closed == 0
    clock.advance(timedelta(minutes=1))
    assert (await service.weekly.tick()).closed == 1
    assert (await service.weekly.tick()).closed == 0
    assert len(await outbox_rows(sessionmaker, "oh_closed")) == 1
    sitting = await service.sitting(sitting_id)
    assert sitting is not None
    assert sitting.status == "closed"


async def test_cards_to_sync_lists_missing_cards_and_stale_open_ones(
    service: OfficeHoursService,
) -> None:
    sitting_id = await open_here(service)
    assert [s.id for s in await service.cards_to_sync()] == [sitting_id]
    await service.card_shown(sitting_id, "open", message_id=777)
    assert await service.cards_to_sync() == []
    await service.close(GUILD, CHANNEL)
    (stale,) = await service.cards_to_sync()
    assert (stale.id, stale.message_id, stale.card_status) == (sitting_id, 777, "open")
    await service.card_shown(sitting_id, "closed")
    assert await service.cards_to_sync() == []


async def test_weekly_office_hours_remind_open_once_and_close(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    slot = await service.weekly.schedule(
        GUILD,
        CHANNEL,
        MENTOR,
        weekday=1,
        local_time=time(18, 0),
        timezone="Europe/London",
        duration=timedelta(minutes=90),
        topic="Interview prep",
        voice_channel_id=None,
    )
    opens = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # London is on UTC in November
    assert slot.upcoming == [opens, opens + timedelta(weeks=1), opens + timedelta(weeks=2)]
    await service.set_reminders(ALICE, True)
    await service.set_reminders(BOB, True)
    await service.set_reminders(BOB, False)
    await service.set_reminders(CAROL, True)
    assert await service.weekly.next_opening(GUILD) == opens

    clock.advance(opens - timedelta(minutes=61) - clock.now())
    assert await service.weekly.tick() == TickReport()  # nothing yet
    clock.advance(timedelta(minutes=2))
    report = await service.weekly.tick()
    assert report.reminders == 2
    assert (await service.weekly.tick()).reminders == 0  # queued once per occurrence
    reminders = await outbox_rows(sessionmaker, "oh_reminder")
    assert sorted([await user_of(sessionmaker, r.member_id) for r in reminders]) == [
        ALICE.user_id,
        CAROL.user_id,
    ]
    assert all(r.expires_at == opens for r in reminders)
    async with sessionmaker() as s:
        dm = await compose(s, reminders[0])
    assert dm is not None
    assert "Office hours (Interview prep) open <t:" in dm.content
    assert dm.content.rstrip().endswith("?")

    clock.advance(opens + timedelta(seconds=5) - clock.now())
    assert (await service.weekly.tick()).opened == 1
    assert (await service.weekly.tick()).opened == 0
    sitting = await service.find(GUILD, CHANNEL)
    assert (sitting.topic, sitting.mentor, sitting.closes_at) == (
        "Interview prep",
        "Morgan",
        opens + timedelta(minutes=90),
    )
    assert await service.weekly.next_opening(GUILD) == opens + timedelta(weeks=1)

    clock.advance(timedelta(minutes=90))
    assert (await service.weekly.tick()).closed == 1


async def test_a_sitting_missed_entirely_while_down_does_not_open_late(
    service: OfficeHoursService, clock: FixedClock
) -> None:
    await service.weekly.schedule(
        GUILD,
        CHANNEL,
        MENTOR,
        weekday=0,
        local_time=time(10, 0),
        timezone="UTC",
        duration=timedelta(minutes=30),
        topic=None,
        voice_channel_id=None,
    )
    clock.advance(timedelta(hours=2))  # 11:00: the 10:00-10:30 sitting is over
    report = await service.weekly.tick()
    assert (report.opened, report.reminders) == (0, 0)
    with pytest.raises(NoOfficeHours):
        await service.find(GUILD, CHANNEL)
    assert await service.weekly.next_opening(GUILD) == datetime(2026, 11, 30, 10, tzinfo=UTC)


async def test_unscheduling_cancels_reminders_already_queued(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    await service.weekly.schedule(
        GUILD,
        CHANNEL,
        MENTOR,
        weekday=0,
        local_time=time(9, 30),
        timezone="UTC",
        duration=timedelta(hours=1),
        topic=None,
        voice_channel_id=None,
    )
    await service.set_reminders(ALICE, True)
    assert (await service.weekly.tick()).reminders == 1
    assert not await service.weekly.unschedule(GUILD, CHANNEL, weekday=0, local_time=time(9, 0))
    assert await service.weekly.unschedule(GUILD, CHANNEL, weekday=0, local_time=time(9, 30))
    (row,) = await outbox_rows(sessionmaker, "oh_reminder")
    assert row.status == "cancelled"
    clock.advance(timedelta(hours=1))
    assert (await service.weekly.tick()).opened == 0


async def test_a_bad_time_zone_is_a_clear_refusal(service: OfficeHoursService) -> None:
    with pytest.raises(UserFacingError, match="Did you mean"):
        await service.weekly.schedule(
            GUILD,
            CHANNEL,
            MENTOR,
            weekday=0,
            local_time=time(9),
            timezone="London",
            duration=timedelta(hours=1),
            topic=None,
            voice_channel_id=None,
        )


async def test_weekly_stats_count_sessions_members_returning_and_times(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    # Ten days ago Alice had a turn: she returns this week.
    clock.advance(timedelta(days=-10))
    old = await open_here(service)
    await service.join(old, ALICE, goal="g", tried=None)
    await service.next(GUILD, CHANNEL, MENTOR)
    await service.close(GUILD, CHANNEL)
    clock.advance(timedelta(days=10))

    sitting_id = await open_here(service)
    for who in (ALICE, BOB, CAROL, person(4)):
        await service.join(sitting_id, who, goal="g", tried=None)
    clock.advance(timedelta(minutes=6))
    await service.next(GUILD, CHANNEL, MENTOR)  # Alice waited 6 minutes
    clock.advance(timedelta(minutes=20))
    await service.next(GUILD, CHANNEL, MENTOR)  # Alice's turn: 20; Bob waited 26
    await service.leave(GUILD, CHANNEL, person(4).user_id, None)
    clock.advance(timedelta(minutes=10))
    await service.close(GUILD, CHANNEL)  # Bob's turn: 10; Carol is still waiting

    stats = await service.weekly.weekly_stats(GUILD)
    assert (stats.office_hours, stats.sessions, stats.unique_members) == (1, 2, 2)
    assert (stats.returning_members, stats.not_seen) == (1, 2)
    assert stats.average_wait == timedelta(minutes=16)
    assert stats.average_session == timedelta(minutes=15)
    other = await service.weekly.weekly_stats(GUILD + 1)
    assert (other.office_hours, other.sessions) == (0, 0)
    section = await service.weekly.dashboard_section(GUILD)
    assert section.title == "Office hours, last 7 days"
    assert section.lines[0] == "Office hours held: 1. Sessions with members: 2."


async def test_the_follow_up_turns_the_answer_into_a_commitment_with_a_check_in(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    sitting_id = await open_here(service)
    await service.join(sitting_id, ALICE, goal="g", tried=None)
    taken = await service.next(GUILD, CHANNEL, MENTOR)
    assert taken.taken is not None
    await service.close(GUILD, CHANNEL)
    with pytest.raises(UserFacingError, match="not found"):
        await service.followup_start(taken.taken.entry_id, BOB.user_id)
    ref = await service.followup_start(taken.taken.entry_id, ALICE.user_id)
    assert ref == MemberRef(GUILD, ALICE.user_id, "member1")
    (row,) = await outbox_rows(sessionmaker, "oh_followup")
    assert row.answered_at == clock.now()

    coaching = CoachingService(sessionmaker, Catalogue.load(), clock=clock)
    turn = await coaching.start(ref, FOLLOWUP_FRAMEWORK, by_bot=True)
    assert "by when" in turn.text or "which day" in turn.text or "when will you" in turn.text
    turn = await coaching.reply(
        turn.session_id, ALICE.user_id, "I'll rewrite my CV summary and send it to two recruiters"
    )
    assert not turn.done  # no date yet: one question about when
    turn = await coaching.reply(turn.session_id, ALICE.user_id, "by Friday")
    assert turn.done
    async with sessionmaker() as s:
        member = await repo.find_member(s, guild_id=GUILD, user_id=ALICE.user_id)
        assert member is not None
        (commitment,) = await repo.list_commitments(s, member.id)
    assert commitment.due_date == date(2026, 11, 27)
    assert "two recruiters" in commitment.text
    # A member cannot start the follow-up themselves: it is not a listed framework.
    with pytest.raises(UserFacingError):
        await coaching.start(ref, FOLLOWUP_FRAMEWORK)


async def test_erasing_a_member_removes_their_places_and_keeps_the_mentors_sittings(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sitting_id = await open_here(service)
    await service.join(sitting_id, ALICE, goal="g", tried=None)
    await service.join(sitting_id, BOB, goal="g", tried=None)
    await service.next(GUILD, CHANNEL, MENTOR)
    async with unit_of_work(sessionmaker) as s:
        mentor = await repo.find_member(s, guild_id=GUILD, user_id=MENTOR.user_id)
        alice = await repo.find_member(s, guild_id=GUILD, user_id=ALICE.user_id)
        assert mentor is not None
        assert alice is not None
        await repo.delete_member(s, alice.id)
        await repo.delete_member(s, mentor.id)
    rows = await entries(sessionmaker)
    assert [await user_of(sessionmaker, r.member_id) for r in rows] == [BOB.user_id]
    async with sessionmaker() as s:
        sitting = await s.get(OfficeHours, sitting_id)
    assert sitting is not None
    assert sitting.opened_by_member_id is None
    await service.join(sitting_id, CAROL, goal="g", tried=None)
    assert (await service.find(GUILD, CHANNEL)).waiting == 2


async def test_reminders_skip_members_whose_dms_are_closed(
    service: OfficeHoursService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await service.weekly.schedule(
        GUILD,
        CHANNEL,
        MENTOR,
        weekday=0,
        local_time=time(9, 30),
        timezone="UTC",
        duration=timedelta(hours=1),
        topic=None,
        voice_channel_id=None,
    )
    await service.set_reminders(ALICE, True)
    await service.set_reminders(BOB, True)
    async with unit_of_work(sessionmaker) as s:
        await s.execute(
            update(Member).where(Member.user_id == BOB.user_id).values(dm_closed_at=MONDAY)
        )
    assert (await service.weekly.tick()).reminders == 1

"""Weekly debriefs and check-ins end to end: schedule, planner, sender, buttons."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.client import MentorBot
from bot.services.clock import ShiftedClock
from tests.conversations import SCRIPTS
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, bot_settings, custom_ids
from tests.e2e.test_bot_coaching import EPHEMERAL
from tests.fixtures_db import bot_database_url, query

DB = "data/mentorbot.db"


def fast_bot(fake: FakeDiscord, data_dir: Path, clock: ShiftedClock | None = None) -> MentorBot:
    """A bot whose planner ticks five times a second, on a clock the test can move."""
    settings = bot_settings(fake, data_dir).model_copy(update={"planner_seconds": 0.2})
    return MentorBot(settings, clock=clock or ShiftedClock())


def arrive_at_next_send(data_dir: Path, clock: ShiftedClock) -> None:
    """Move the bot's clock to just past the schedule's next weekly time."""
    (due,) = sql(data_dir, "SELECT next_due_utc FROM member_schedules")[0]
    clock.jump_to(datetime.fromisoformat(str(due)).replace(tzinfo=UTC) + timedelta(seconds=1))


def sql(data_dir: Path, statement: str, *args: object) -> list[tuple[object, ...]]:
    return query(bot_database_url(data_dir), statement, *args)


async def until(data_dir: Path, statement: str, expected: list[tuple[object, ...]]) -> None:
    """Wait (up to 5 s) for a query to give the expected rows: the bot commits after sending."""
    for _ in range(100):
        if sql(data_dir, statement) == expected:
            return
        await asyncio.sleep(0.05)
    assert sql(data_dir, statement) == expected


async def wait_for_dm(alice: Member, start: int) -> dict:
    return await alice.next_message(alice.dm, start, timeout=10)


async def test_schedule_confirms_three_local_times_and_sends_the_weekly_dm(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    clock = ShiftedClock()
    await run_bot.start(fast_bot(fake_discord, tmp_path, clock))
    alice = Member(fake_discord, fake_discord.user)
    ack = await alice.slash("debrief", "schedule", day=4, time="18:30", timezone="America/New_York")
    assert ack.type == 4
    assert ack.data["flags"] & EPHEMERAL
    confirmation = ack.data["content"]
    assert "Fridays at 18:30 (America/New_York)" in confirmation
    assert confirmation.count("• Friday") == 3

    # The weekly time arrives: make the schedule due now and let the ticks do the rest.
    start = len(fake_discord.requests)
    arrive_at_next_send(tmp_path, clock)
    weekly = await wait_for_dm(alice, start)
    assert "weekly debrief" in weekly["content"]
    ids = custom_ids(weekly)
    assert [i.rsplit(":", 1)[1] for i in ids] == ["start", "snooze", "skip"]
    posted = next(
        r for r in fake_discord.requests[start:] if r.matches("POST", r"/channels/\d+/messages$")
    )
    assert posted.json["enforce_nonce"] is True
    assert posted.json["allowed_mentions"] == {"parse": []}
    await until(tmp_path, "SELECT status FROM outbox WHERE kind = 'debrief'", [("sent",)])
    assert sql(tmp_path, "SELECT count(*) FROM outbox WHERE kind = 'nudge'") == [(1,)]

    start = len(fake_discord.requests)
    await alice.press(weekly, r":start$")
    first = await wait_for_dm(alice, start)
    assert "Weekly stress debrief" in first["content"]
    await until(
        tmp_path, "SELECT answered_at IS NOT NULL FROM outbox WHERE kind = 'debrief'", [(1,)]
    )


async def test_snooze_and_skip(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    clock = ShiftedClock()
    await run_bot.start(fast_bot(fake_discord, tmp_path, clock))
    alice = Member(fake_discord, fake_discord.user)
    await alice.slash("debrief", "schedule", day=0, time="07:00", timezone="Europe/Berlin")
    start = len(fake_discord.requests)
    arrive_at_next_send(tmp_path, clock)
    weekly = await wait_for_dm(alice, start)

    start = len(fake_discord.requests)
    await alice.press(weekly, r":snooze$")
    note = await wait_for_dm(alice, start)
    assert "Snoozed" in note["content"]
    keys = sql(tmp_path, "SELECT occurrence_key, status FROM outbox WHERE kind = 'debrief'")
    assert len(keys) == 2
    assert keys[1][0].endswith("+snooze1")
    assert keys[1][1] == "pending"

    # An hour later the snoozed debrief comes back; this time it is skipped.
    start = len(fake_discord.requests)
    clock.jump_to(clock.now() + timedelta(hours=1, seconds=1))
    again = await wait_for_dm(alice, start)
    assert "weekly debrief" in again["content"]
    start = len(fake_discord.requests)
    await alice.press(again, r":skip$")
    skipped = await wait_for_dm(alice, start)
    assert "Skipped" in skipped["content"]
    await until(
        tmp_path,
        "SELECT status, answered_at IS NOT NULL FROM outbox WHERE kind = 'debrief' ORDER BY id",
        [("sent", 1), ("sent", 1)],
    )


async def test_a_due_commitment_gets_a_checkin_and_the_answer_is_kept(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    clock = ShiftedClock()
    await run_bot.start(fast_bot(fake_discord, tmp_path, clock))
    alice = Member(fake_discord, fake_discord.user)
    started = await alice.slash("coach", "start", in_dm=True, framework="grow")
    await started.next_webhook()
    for answer in SCRIPTS["grow"]:
        await alice.say(answer)
    (commitment_id, due) = sql(tmp_path, "SELECT id, due_date FROM commitments")[0]
    # The due date arrives: the check-in goes out at 18:00 on the member's clock (UTC here).
    clock.jump_to(datetime.fromisoformat(f"{due}T18:00:01+00:00"))
    start = len(fake_discord.requests)
    checkin = await wait_for_dm(alice, start)
    assert "How did it go?" in checkin["content"]
    assert "stretch project" in checkin["content"]

    start = len(fake_discord.requests)
    await alice.press(checkin, r":partly$")
    question = await wait_for_dm(alice, start)
    assert "?" in question["content"]
    reply = await alice.say("my manager was away all week, but I drafted the proposal")
    assert "manager was away" in reply["content"]
    stored = sql(
        tmp_path, "SELECT status, outcome_note FROM commitments WHERE id = ?", commitment_id
    )
    assert stored == [("partly", "my manager was away all week, but I drafted the proposal")]


async def test_commitments_lists_and_updates(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(fast_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    empty = await alice.slash("commitments")
    assert "no open commitments" in empty.data["content"]
    started = await alice.slash("coach", "start", in_dm=True, framework="feedback_sandwich")
    await started.next_webhook()
    for answer in SCRIPTS["feedback_sandwich"]:
        await alice.say(answer)
    listing = await alice.slash("commitments")
    assert "capacity estimates" in listing.data["content"]
    message = fake_discord.state.find_message(listing.record.original_id or "")
    assert message is not None
    done = await alice.press(message, r":done:1$")
    assert done.type == 7
    assert "no open commitments" in done.data["content"]
    assert sql(tmp_path, "SELECT status FROM commitments") == [("done",)]


async def test_dms_closed_get_one_attempt_then_nothing(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    clock = ShiftedClock()
    await run_bot.start(fast_bot(fake_discord, tmp_path, clock))
    alice = Member(fake_discord, fake_discord.user)
    await alice.slash("debrief", "schedule", day=2, time="12:00", timezone="UTC")
    fake_discord.fail_next("POST", r"/users/@me/channels$", 403, code=50007, times=5)
    arrive_at_next_send(tmp_path, clock)
    for _ in range(50):
        if sql(tmp_path, "SELECT status FROM outbox") == [("undeliverable",)]:
            break
        await asyncio.sleep(0.1)
    assert sql(tmp_path, "SELECT status FROM outbox") == [("undeliverable",)]
    assert sql(tmp_path, "SELECT dm_closed_at IS NOT NULL FROM members") == [(1,)]
    attempts = [r for r in fake_discord.requests if r.matches("POST", r"/users/@me/channels$")]
    arrive_at_next_send(tmp_path, clock)  # a week later: still nothing is tried
    await asyncio.sleep(0.6)
    again = [r for r in fake_discord.requests if r.matches("POST", r"/users/@me/channels$")]
    assert len(again) == len(attempts) == 1


async def test_debrief_now_pause_resume_off(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(fast_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    start = len(fake_discord.requests)
    await alice.slash("debrief", "now")
    first = await wait_for_dm(alice, start)
    assert "Weekly stress debrief" in first["content"]

    missing = await alice.slash("debrief", "pause", until="2030-01-01")
    assert "no weekly debrief yet" in missing.data["content"]
    await alice.slash("debrief", "schedule", day=6, time="9.15", timezone="Asia/Kolkata")
    bad = await alice.slash("debrief", "pause", until="next week")
    assert "YYYY-MM-DD" in bad.data["content"]
    assert bad.data["flags"] & EPHEMERAL
    paused = await alice.slash("debrief", "pause", until="2030-01-01")
    assert "Paused until Tuesday 01 January 2030" in paused.data["content"]
    assert "• Sunday 6 January" in paused.data["content"]
    resumed = await alice.slash("debrief", "resume")
    assert "Paused" not in resumed.data["content"]
    off = await alice.slash("debrief", "off")
    assert "off" in off.data["content"]
    assert sql(tmp_path, "SELECT count(*) FROM member_schedules") == [(0,)]


async def test_a_time_that_cannot_be_read_is_refused(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(fast_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    ack = await alice.slash("debrief", "schedule", day=1, time="6pm", timezone="UTC")
    assert "24-hour HH:MM" in ack.data["content"]
    zone = await alice.slash("debrief", "schedule", day=1, time="18:00", timezone="Paris")
    assert "Did you mean Europe/Paris?" in zone.data["content"]
    assert sql(tmp_path, "SELECT count(*) FROM member_schedules") == [(0,)]

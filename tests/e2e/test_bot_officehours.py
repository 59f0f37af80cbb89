"""Office hours through the fake Discord: the queue survives a restart, mentors never collide."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.client import MentorBot
from bot.db.engine import create_sessionmaker
from bot.db.models import Commitment, Member, OfficeHoursEntry
from bot.services.clock import ShiftedClock
from tests.e2e.exchange import Exchange
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member as Person
from tests.e2e.member import bot_settings, custom_ids, make_bot
from tests.e2e.payloads import Json
from tests.e2e.test_bot_coaching import EPHEMERAL

GOALS = {
    "alice": ("Practise telling my promotion story", "Wrote a STAR draft"),
    "bob": ("Decide between two offers", "Made a pros and cons list"),
    "carol": ("Plan my first 90 days as a lead", ""),
}


class World:
    """A server with two mentors (one role), three members, and the office-hours channel."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        mentors = [fake.add_user("morgan"), fake.add_user("sam")]
        self.role = fake.add_role(fake.guild_id, "Mentors", members=mentors)
        self.morgan, self.sam = (Person(fake, user) for user in mentors)
        users = {"alice": fake.user, "bob": fake.add_user("bob"), "carol": fake.add_user("carol")}
        for user in users.values():
            fake.state.member_of(fake.guild_id, user["id"])
        self.people = {name: Person(fake, user) for name, user in users.items()}
        self.channel = fake.channel_named("general")["id"]

    async def start(self, run_bot: BotRunner, bot: MentorBot) -> MentorBot:
        started = await run_bot.start(bot)
        await started.setups.configure(
            int(self.fake.guild_id),
            mentor_role_id=int(self.role["id"]),
            alerts_channel_id=int(self.channel),
            crisis_resources=None,
        )
        return started

    def posted(self, start: int = 0) -> list[Any]:
        """The bot's message posts in the office-hours channel since `start`."""
        path = rf"/channels/{self.channel}/messages$"
        return [r for r in self.fake.requests[start:] if r.matches("POST", path)]

    async def card(self, start: int) -> Json:
        request = await self.fake.wait_for_request(
            lambda r: (
                r.matches("POST", rf"/channels/{self.channel}/messages$")
                and "Office hours are open" in (r.json or {}).get("content", "")
            ),
            timeout=10,
            start=start,
        )
        card = self.fake.state.find_message(request.response["id"])
        assert card is not None
        return card

    async def card_shows(self, card: Json, text: str) -> Json:
        """Wait (up to 5 s) for the card to be edited to show a text."""
        for _ in range(100):
            now = self.fake.state.find_message(card["id"])
            if now is not None and text in now["content"]:
                return now
            await asyncio.sleep(0.05)
        raise AssertionError(f"the card never showed {text!r}: {now and now['content']!r}")


async def reply(ack: Exchange) -> Json:
    """The private reply to an interaction: the message, or the followup after a deferral."""
    if ack.type == 4:
        assert ack.data["flags"] & EPHEMERAL
        return ack.data
    assert ack.type == 5, ack.callback
    request = await ack.next_webhook(timeout=5)
    assert request.json["flags"] & EPHEMERAL
    return request.json  # type: ignore[no-any-return]


async def join(fake: FakeDiscord, opened: Exchange, goal: str, tried: str) -> Json:
    """Answer the two prep questions in the form the bot opened."""
    assert opened.type == 9, opened.callback
    assert opened.data["title"].startswith("Join office hours")
    submit = fake.make_modal_submit(opened.record.payload, {"goal": goal, "tried": tried})
    return await reply(await fake.interact(submit))


async def rows(bot: MentorBot) -> list[tuple[str, str, str]]:
    """Each queue entry as (member name, status, goal), in queue order."""
    assert bot.engine is not None
    async with create_sessionmaker(bot.engine)() as s:
        found = await s.execute(
            select(Member.display_name, OfficeHoursEntry.status, OfficeHoursEntry.goal)
            .join(Member, Member.id == OfficeHoursEntry.member_id)
            .order_by(OfficeHoursEntry.id)
        )
        return [tuple(row) for row in found.all()]  # type: ignore[misc]


async def test_open_join_restart_two_mentors_at_once_leave_close(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    world = World(fake)
    bot = await world.start(run_bot, make_bot(fake, tmp_path))
    alice, bob, carol = (world.people[n] for n in ("alice", "bob", "carol"))

    for mentor_only in ("open", "next", "close"):
        refused = await reply(await alice.slash("officehours", mentor_only))
        assert "This command is for mentors" in refused["content"], mentor_only
    # Discord offers these commands only in servers; the bot refuses a DM all the same.
    in_dm = await reply(await world.morgan.slash("officehours", "next", in_dm=True))
    assert "not in direct messages" in in_dm["content"]
    nothing = await reply(await alice.slash("officehours", "join"))
    assert "No office hours are open here" in nothing["content"]
    bad = await reply(await world.morgan.slash("officehours", "open", duration="soon"))
    assert "Try 45m, 1h30 or 90" in bad["content"]

    start = len(fake.requests)
    opened = await reply(
        await world.morgan.slash("officehours", "open", duration="1h30", topic="Interview prep")
    )
    assert "Office hours are open until <t:" in opened["content"]
    card = await world.card(start)
    assert card["content"].startswith("**Office hours are open: Interview prep**")
    assert "Opened by Morgan." in card["content"]
    assert [c.split(":")[-1] for c in custom_ids(card)] == ["join", "leave"]

    # Three members join with their prep answers: two by the card's button, one by command.
    places = []
    for name, way in (("alice", "button"), ("bob", "button"), ("carol", "command")):
        person = world.people[name]
        if way == "button":
            form = await person.press(card, r":join$")
        else:
            form = await person.slash("officehours", "join")
        places.append((await join(fake, form, *GOALS[name]))["content"])
    assert places[0].startswith("You're 1st in the queue. Estimated wait: you're next.")
    assert places[1].startswith("You're 2nd in the queue (1 other waiting).")
    assert places[2].startswith("You're 3rd in the queue (2 others waiting).")
    again = await reply(await alice.press(card, r":join$"))
    assert "already in this queue, 1st in line" in again["content"]
    await world.card_shows(card, "Waiting: 3 people.")

    # A restart: the queue is in the database, and the card's buttons still work.
    bot = await run_bot.restart(bot, make_bot(fake, tmp_path))
    assert [r[:2] for r in await rows(bot)] == [
        ("Alice", "waiting"),
        ("Bob", "waiting"),
        ("Carol", "waiting"),
    ]
    board = (await reply(await world.sam.slash("officehours", "queue")))["content"]
    assert re.search(r"1\. \*\*Alice\*\* .*Practise telling my promotion story", board)
    assert re.search(r"3\. \*\*Carol\*\* .*Plan my first 90 days as a lead", board)
    own = (await reply(await bob.slash("officehours", "queue")))["content"]
    assert own.startswith("You're 2nd in the queue")
    assert "Alice" not in own
    assert "promotion" not in own

    # Two mentors press next at the same moment: two different members, each pinged alone.
    start = len(fake.requests)
    first, second = await asyncio.gather(
        world.morgan.slash("officehours", "next"), world.sam.slash("officehours", "next")
    )
    preps = [(await reply(ack))["content"] for ack in (first, second)]
    taken = sorted(re.match(r"Next: \*\*(\w+)\*\*", p)[1] for p in preps)  # type: ignore[index]
    assert taken == ["Alice", "Bob"]
    assert any("**What they've tried:** Wrote a STAR draft" in p for p in preps)
    assert all("They keep their commitments private." in p for p in preps)
    pings = [r for r in world.posted(start) if r.json["content"].startswith("<@")]
    assert len(pings) == 2
    for ping in pings:
        user_id = re.match(r"<@(\d+)>", ping.json["content"])[1]  # type: ignore[index]
        assert ping.json["allowed_mentions"] == {"parse": [], "users": [int(user_id)]}
    assert {re.match(r"<@(\d+)>", p.json["content"])[1] for p in pings} == {  # type: ignore[index]
        alice.user["id"],
        bob.user["id"],
    }
    statuses = await rows(bot)
    assert [s[1] for s in statuses] == ["called", "called", "waiting"]

    # Carol leaves by the card's Leave button.
    left = await reply(await carol.press(card, r":leave$"))
    assert left["content"] == "You've left the queue."
    await world.card_shows(card, "Nobody is waiting yet.")

    # Closing ends both turns; each member gets a DM to plan their next step.
    start = len(fake.requests)
    done = await reply(await world.morgan.slash("officehours", "close"))
    assert done["content"] == "Office hours are closed. 2 people had a turn."
    closed_card = await world.card_shows(card, "have closed")
    assert closed_card["components"] == []
    assert [s[1] for s in await rows(bot)] == ["done", "done", "left"]
    followup = await alice.next_message(alice.dm, start, timeout=10)
    assert "Thank you for coming to office hours with" in followup["content"]
    await bob.next_message(bob.dm, start, timeout=10)

    # Mentors see the week on /dashboard.
    board_ack = await world.morgan.slash("dashboard")
    assert board_ack.type == 5
    embeds = (await board_ack.next_webhook(timeout=10)).json["embeds"]
    week = next(f for f in embeds[0]["fields"] if f["name"] == "Office hours, last 7 days")
    assert week["value"].splitlines() == [
        "Office hours held: 1. Sessions with members: 2.",
        "Members seen: 2 (0 returning from an earlier week).",
        "Average wait: 1 minute. Average session: 1 minute.",
        "Left or still waiting at closing: 1.",
    ]

    # The follow-up turns into a commitment with a date, so the usual check-in follows.
    start = len(fake.requests)
    await alice.press(followup, r"^ohnext:")
    question = await alice.next_message(alice.dm, start)
    assert "?" in question["content"]
    summary = await alice.say("I'll send my story to two people for feedback by Friday")
    assert "finished" in summary["content"] or "Friday" in summary["content"]
    assert bot.engine is not None
    async with create_sessionmaker(bot.engine)() as s:
        (commitment,) = (await s.execute(select(Commitment))).scalars()
    assert "two people for feedback" in commitment.text
    assert commitment.due_date is not None

    # Nothing the bot sent could ping anyone but the two members whose turn came.
    bot_posts = [
        r for r in fake.requests if r.method == "POST" and re.search(r"/messages$", r.path)
    ]
    for post in bot_posts:
        mentions = (post.json or {}).get("allowed_mentions", {"parse": []})
        assert mentions["parse"] == []
        assert post in pings or "users" not in mentions


def clocked_bot(fake: FakeDiscord, data_dir: Path, clock: ShiftedClock) -> MentorBot:
    """A bot whose ticks run five times a second, on a clock the test can move."""
    settings = bot_settings(fake, data_dir).model_copy(update={"planner_seconds": 0.2})
    return MentorBot(settings, clock=clock)


async def test_weekly_office_hours_remind_open_by_themselves_and_close_on_time(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    world = World(fake)
    clock = ShiftedClock()
    await world.start(run_bot, clocked_bot(fake, tmp_path, clock))
    alice, bob = world.people["alice"], world.people["bob"]
    opens = (datetime.now(UTC) + timedelta(days=2)).replace(hour=12, minute=0, second=0)
    opens = opens.replace(microsecond=0)

    options = {"day": opens.weekday(), "time": "12:00", "timezone": "UTC", "duration": "30m"}
    confirm = await reply(
        await world.morgan.slash("officehours", "schedule", topic="CV clinic", **options)
    )
    assert "Weekly office hours (CV clinic) in this channel" in confirm["content"]
    assert confirm["content"].count("• ") == 3
    refused = await reply(await alice.slash("officehours", "schedule", **options))
    assert "This command is for mentors" in refused["content"]
    on = await reply(await alice.slash("officehours", "remind", setting="on"))
    assert f"The next office hours open <t:{int(opens.timestamp())}:F>." in on["content"]

    # An hour before: the reminder DM.
    start = len(fake.requests)
    clock.jump_to(opens - timedelta(minutes=59))
    reminder = await alice.next_message(alice.dm, start, timeout=10)
    assert reminder["content"].startswith("-# Office hours reminder")
    assert "(CV clinic)" in reminder["content"]

    # At the time: the card opens by itself, and Bob joins.
    start = len(fake.requests)
    clock.jump_to(opens + timedelta(seconds=1))
    card = await world.card(start)
    assert "**Office hours are open: CV clinic**" in card["content"]
    form = await bob.press(card, r":join$")
    placed = await join(fake, form, "Get my CV past the screen", "Used a template")
    assert placed["content"].startswith("You're 1st in the queue")

    # Thirty minutes later it closes by itself, and Bob, still waiting, is told.
    start = len(fake.requests)
    clock.jump_to(opens + timedelta(minutes=30, seconds=1))
    closed = await world.card_shows(card, "have closed")
    assert closed["components"] == []
    notice = await bob.next_message(bob.dm, start, timeout=10)
    assert "have closed before your turn came" in notice["content"]
    assert f"<t:{int((opens + timedelta(weeks=1)).timestamp())}:F>" in notice["content"]

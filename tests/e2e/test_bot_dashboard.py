"""/dashboard through the fake Discord: mentors only, sharing members only, one server only."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.client import MentorBot
from bot.db.engine import create_sessionmaker
from bot.domain import progress as maths
from bot.services.dashboard import Dashboard, Figures, MemberRow, Section
from cogs.dashboard import overview_embeds
from tests.e2e.exchange import Exchange
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, custom_ids, find_custom_id, make_bot
from tests.e2e.payloads import Json
from tests.e2e.test_bot_coaching import EPHEMERAL
from tests.services.test_progress import Seed

NOT_A_MENTOR = "This command is for mentors"


def this_monday() -> datetime:
    now = datetime.now(UTC)
    return (now - timedelta(days=now.weekday())).replace(hour=12, minute=0, second=0)


def text_of(body: Json) -> str:
    """Everything a person could read in a message body: content and embeds."""
    found = json.dumps({k: body.get(k) for k in ("content", "embeds")}, ensure_ascii=False)
    # Names are compared in lower case: the fake capitalises display names.
    return found.lower()


class World:
    """One server with a mentor role, a mentor, a member without the role, and the bot."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.mentor_user = fake.add_user("mentor")
        self.role = fake.add_role(fake.guild_id, "Mentors", members=[self.mentor_user])
        self.mentor = Member(fake, self.mentor_user)
        self.alice = Member(fake, fake.user)
        self.bot: MentorBot

    async def start(self, run_bot: BotRunner, data_dir: Path) -> MentorBot:
        self.bot = await run_bot.start(make_bot(self.fake, data_dir))
        await self.configure(self.fake.guild_id, self.role)
        return self.bot

    async def configure(self, guild_id: str, role: Json) -> None:
        channel = self.fake.channel_named("general", guild_id)
        await self.bot.setups.configure(
            int(guild_id),
            mentor_role_id=int(role["id"]),
            alerts_channel_id=int(channel["id"]),
            crisis_resources=None,
        )

    @property
    def seed(self) -> Seed:
        assert self.bot.engine is not None
        return Seed(create_sessionmaker(self.bot.engine))

    async def person(
        self, name: str, *, share: bool, guild_id: str | None = None, scores: tuple[int, ...] = ()
    ) -> tuple[Json, int]:
        """A Discord user with a member row in a server, weekly scores up to this week."""
        user = self.fake.add_user(name)
        self.fake.state.member_of(guild_id or self.fake.guild_id, user["id"])
        member_id = await self.seed.member(
            int(guild_id or self.fake.guild_id), int(user["id"]), name, share=share
        )
        monday = this_monday()
        for weeks_ago, score in enumerate(reversed(scores)):
            await self.seed.score(member_id, (monday - timedelta(weeks=weeks_ago)).date(), score)
        return user, member_id


async def answer(ack: Exchange) -> Json:
    """The reply to a slash command: the message itself, or the followup after a deferral."""
    if ack.type == 4:
        return ack.data
    assert ack.type == 5
    assert ack.data["flags"] & EPHEMERAL
    return (await ack.next_webhook()).json  # type: ignore[no-any-return]


async def followup(ack: Exchange) -> tuple[Json, list[str]]:
    assert ack.type == 5, ack.data
    request = await ack.next_webhook()
    assert request.json["flags"] & EPHEMERAL
    return request.json, request.files


async def test_every_mentor_command_refuses_a_member_without_the_role(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    world = World(fake_discord)
    await world.start(run_bot, tmp_path)
    bob, _ = await world.person("bob", share=True, scores=(3, 4, 5))
    for options in ({}, {"member": bob}, {"export": True}):
        ack = await world.alice.slash("dashboard", **options)
        assert ack.type == 4
        assert ack.data["flags"] & EPHEMERAL
        assert NOT_A_MENTOR in ack.data["content"]
        assert f"<@&{world.role['id']}>" in ack.data["content"]
        assert "bob" not in text_of(ack.data)
        assert not ack.data.get("attachments")


async def test_dms_cannot_reach_a_dashboard_and_an_unset_server_says_so(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    world = World(fake)
    bare = fake.add_guild("Bare", members=[world.mentor_user])
    bare_role = fake.add_role(bare["id"], "Mentors", members=[world.mentor_user])
    await world.start(run_bot, tmp_path)
    for options in ({}, {"export": True}):
        ack = await world.mentor.slash("dashboard", in_dm=True, **options)
        assert ack.type == 4
        assert "not in direct messages" in ack.data["content"]
    ack = await world.mentor.slash("dashboard", guild=bare)
    assert "isn't set up for mentors yet" in ack.data["content"]
    await world.configure(bare["id"], bare_role)
    ack = await world.mentor.slash("dashboard", guild=bare)
    body, files = await followup(ack)
    assert "mentor dashboard · bare" in text_of(body)
    assert "no one has used the coach in this server yet" in text_of(body)
    assert files == []  # no scores anywhere yet: no chart


async def test_a_mentor_sees_sharing_members_and_never_a_private_one(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    world = World(fake_discord)
    await world.start(run_bot, tmp_path)
    sharers = [await world.person(f"sharer{n}", share=True, scores=(2, 3, 5)) for n in range(5)]
    bob, bob_id = sharers[0]
    pat, pat_id = await world.person("pat", share=False, scores=(1, 5, 9))
    await world.seed.goal(bob_id, "Bob's shared goal")
    await world.seed.goal(pat_id, "Pat's private goal")
    await world.seed.commitment(pat_id, "Pat's private step", due=datetime.now(UTC).date())

    body, files = await followup(await world.mentor.slash("dashboard"))
    shown = text_of(body)
    assert "**6** people have used the coach here; **5** share" in shown
    # One private member is too few to count without exposing them.
    assert "the figures below are about those 5." in shown
    assert all(f"sharer{n}" in shown for n in range(5))
    # All five sharers' stress rose by three points in two weeks.
    assert shown.count("stress up from 2 to 5 in 2 weeks") == 5
    assert "pat" not in shown
    assert "up from 1 to 9" not in shown
    assert files == ["cohort.png"]

    reply, files = await followup(await world.mentor.slash("dashboard", member=pat))
    assert "hasn't chosen to share" in reply["content"]
    assert not reply.get("embeds")
    assert files == []

    reply, files = await followup(await world.mentor.slash("dashboard", member=bob))
    shown = text_of(reply)
    assert "progress of sharer0" in shown
    assert "bob's shared goal" in shown
    assert reply["embeds"][0]["image"]["url"] == "attachment://stress.png"
    assert files == ["stress.png"]

    reply, files = await followup(await world.mentor.slash("dashboard", export=True))
    assert "each of the 5 members who share" in reply["content"]
    assert len(files) == 1
    assert files[0].startswith("dashboard-")
    assert files[0].endswith(".csv")

    both = await world.mentor.slash("dashboard", member=bob, export=True)
    assert "Choose one at a time" in both.data["content"]

    for request in fake_discord.requests:
        sent = json.dumps(request.json)
        assert "Pat's private" not in sent
        assert "up from 1 to 9" not in sent


async def test_a_mentor_in_one_server_never_sees_another_servers_members(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    world = World(fake)
    other_mentor = fake.add_user("othermentor")
    other = fake.add_guild("Other", members=[world.mentor_user, other_mentor])
    other_role = fake.add_role(other["id"], "Coaches", members=[other_mentor])
    await world.start(run_bot, tmp_path)
    await world.configure(other["id"], other_role)
    for n in range(5):
        await world.person(f"local{n}", share=True, scores=(4,))
    for n in range(4):
        await world.person(f"remote{n}", share=True, guild_id=other["id"])
    zed, zed_id = await world.person("zed", share=True, guild_id=other["id"], scores=(2, 8))
    await world.seed.goal(zed_id, "Zed's goal elsewhere")

    body, _ = await followup(await world.mentor.slash("dashboard"))
    assert "local0" in text_of(body)
    assert "zed" not in text_of(body)
    assert "remote0" not in text_of(body)
    reply, files = await followup(await world.mentor.slash("dashboard", member=zed))
    assert "hasn't chosen to share" in reply["content"]
    assert "zed's goal" not in text_of(reply)
    assert files == []

    # Mentor here is not a mentor there.
    ack = await world.mentor.slash("dashboard", guild=other)
    assert f"<@&{other_role['id']}>" in ack.data["content"]
    # That server's mentor sees Zed, and none of this server's members.
    coach = Member(fake, other_mentor)
    body, _ = await followup(await coach.slash("dashboard", guild=other))
    assert "zed" in text_of(body)
    assert "local0" not in text_of(body)
    reply, _ = await followup(await coach.slash("dashboard", guild=other, member=zed))
    assert "zed's goal elsewhere" in text_of(reply)


async def test_paging_rechecks_the_mentor_role_on_every_press(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    world = World(fake)
    await world.start(run_bot, tmp_path)
    for n in range(13):
        await world.person(f"member{n:02d}", share=True)
    ack = await world.mentor.slash("dashboard")
    body, _ = await followup(ack)
    assert "page 1 of 2" in text_of(body)
    assert "member09" in text_of(body)
    assert "member10" not in text_of(body)
    message = fake.messages_in(ack.record.payload["channel_id"])[-1]
    ids = custom_ids(message)
    assert ids == [f"dash:{fake.guild_id}:0:prev", f"dash:{fake.guild_id}:1:next"]

    press = await world.mentor.press(message, r":next$")
    assert press.type == 6  # a deferred update of the same message
    edit = await press.next_webhook()
    assert edit.method == "PATCH"
    assert edit.path.endswith(f"/messages/{message['id']}")
    assert "page 2 of 2" in text_of(edit.json)
    assert "member12" in text_of(edit.json)
    assert "member00" not in text_of(edit.json)
    paged = fake.state.find_message(message["id"])
    assert paged is not None
    assert find_custom_id(paged, r":prev$") == f"dash:{fake.guild_id}:0:prev"

    # The role is taken away: the next press is refused and the page stays as it was.
    fake.state.member_of(fake.guild_id, world.mentor_user["id"])["roles"].remove(world.role["id"])
    refused = await world.mentor.press(paged, r":prev$")
    assert refused.type == 4
    assert refused.data["flags"] & EPHEMERAL
    assert NOT_A_MENTOR in refused.data["content"]
    assert "page 2 of 2" in text_of(fake.state.find_message(message["id"]) or {})


async def test_a_button_for_another_server_is_refused(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    world = World(fake)
    other = fake.add_guild("Other", members=[world.mentor_user])
    other_role = fake.add_role(other["id"], "Mentors", members=[world.mentor_user])
    await world.start(run_bot, tmp_path)
    await world.configure(other["id"], other_role)
    for n in range(12):
        await world.person(f"member{n:02d}", share=True, guild_id=other["id"])
    ack = await world.mentor.slash("dashboard", guild=other)
    await followup(ack)
    channel = fake.channel_named("general", other["id"])["id"]
    message = fake.messages_in(channel)[-1]
    # The same message, its button rewritten to point at the first server's dashboard.
    forged: Any = copy.deepcopy(message)
    forged_id = f"dash:{fake.guild_id}:1:next"
    forged["components"][0]["components"][1]["custom_id"] = forged_id
    payload = fake.make_component_interaction(world.mentor_user, forged, forged_id)
    refused = await fake.interact(payload)
    assert refused.type == 4
    assert "belongs to another server" in refused.data["content"]


def test_a_full_page_with_long_names_and_sections_fits_one_message() -> None:
    reasons = [
        "safety alert on 01 Mar 2026",
        "stress up from 1 to 9 in 3 weeks",
        "missed 4 debriefs in the last 4 weeks",
        "12 commitments overdue by a week or more (oldest due 01 Feb)",
    ]
    rows = [
        MemberRow(n, "*_~" * 33 + str(n), True, reasons, 9, 12, datetime.now(UTC))
        for n in range(maths.PAGE_SIZE)
    ]
    figures = Figures(5000, 4000, 3000, 4500, 100_000, 20_000, 9000, 7000)
    sections = [Section("x" * 300, ["y" * 200] * 10) for _ in range(5)]
    page = maths.page_of(5000, 3)
    board = Dashboard(1, figures, 4000, rows, page, False, sections)
    embeds = overview_embeds(board, "A server with a long name " * 4)
    assert sum(len(e) for e in embeds) <= 6000
    assert all(len(e.description or "") <= 4096 for e in embeds)
    # Markdown in names is escaped, so a name cannot restyle the list.
    assert "\\*\\_\\~" in (embeds[1].description or "")
    assert "page 4 of 500" in (embeds[1].title or "")

"""/progress through the fake Discord: private, in servers and DMs, only the member's own data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.client import MentorBot
from bot.db.engine import create_sessionmaker
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, make_bot
from tests.e2e.test_bot_dashboard import followup, text_of, this_monday
from tests.services.test_progress import Seed


def seed_of(bot: MentorBot) -> Seed:
    assert bot.engine is not None
    return Seed(create_sessionmaker(bot.engine))


async def test_a_new_member_is_told_how_progress_builds_up(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    body, files = await followup(await alice.slash("progress"))
    shown = text_of(body)
    assert "your progress" in shown
    assert "nothing recorded yet" in shown
    assert "/coach start" in shown
    assert files == []


async def test_progress_in_a_server_and_in_dms(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    other = fake.add_guild("Other", members=[fake.user])
    bot = await run_bot.start(make_bot(fake, tmp_path))
    alice = Member(fake, fake.user)
    bob = fake.add_user("bob")
    seed = seed_of(bot)
    user = int(fake.user["id"])
    here = await seed.member(int(fake.guild_id), user, "alice")
    dms = await seed.member(0, user, "alice")
    elsewhere = await seed.member(int(other["id"]), user, "alice")
    stranger = await seed.member(int(fake.guild_id), int(bob["id"]), "bob")
    await seed.goal(here, "Goal from this server")
    await seed.goal(dms, "Goal from our DMs")
    await seed.goal(elsewhere, "Goal from the other server")
    await seed.goal(stranger, "Bob's goal")
    due = datetime.now(UTC).date() + timedelta(days=3)
    await seed.commitment(here, "Book the one-to-one", due=due)
    await seed.session(here, "grow")
    await seed.session(dms, "stress_debrief")
    monday = this_monday()
    for weeks_ago, score in enumerate((6, 5, 4)):
        await seed.score(here, (monday - timedelta(weeks=weeks_ago)).date(), score)

    body, files = await followup(await alice.slash("progress"))
    shown = text_of(body)
    assert "goal from this server" in shown
    assert "goal from our dms" in shown
    assert "goal from the other server" not in shown
    assert "bob's goal" not in shown
    assert f"book the one-to-one - by {due:%a %d %b}".lower() in shown
    assert "grow: 1" in shown
    assert "weekly stress debrief: 1" in shown
    assert "debrief streak: 3 weeks in a row" in shown
    assert "latest stress score: 6/10" in shown
    assert body["embeds"][0]["image"]["url"] == "attachment://stress.png"
    assert files == ["stress.png"]

    body, files = await followup(await alice.slash("progress", in_dm=True))
    shown = text_of(body)
    assert "from every server" in shown
    for goal in ("goal from this server", "goal from our dms", "goal from the other server"):
        assert goal in shown
    assert "bob's goal" not in shown
    assert files == ["stress.png"]

    body, files = await followup(await alice.slash("progress", guild=other))
    shown = text_of(body)
    assert "goal from the other server" in shown
    assert "goal from this server" not in shown
    # The scores belong to the first server's row: no chart here.
    assert files == []

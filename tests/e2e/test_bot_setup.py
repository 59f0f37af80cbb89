"""/setup through the fake Discord: administrators only, stored per server, clear refusals."""

from __future__ import annotations

from pathlib import Path

from bot.client import MentorBot
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, make_bot
from tests.e2e.test_bot_coaching import EPHEMERAL


async def test_owner_sets_up_and_a_member_cannot(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    mentors = fake.add_role(fake.guild_id, "Mentors")
    alerts = fake.add_channel("mentor-alerts")
    bot: MentorBot = await run_bot.start(make_bot(fake, tmp_path))
    owner = Member(fake, fake.state.owner)
    alice = Member(fake, fake.user)

    refused = await alice.slash("setup", **{"mentor-role": mentors, "alerts-channel": alerts})
    assert refused.data["flags"] & EPHEMERAL
    assert "Only server administrators" in refused.data["content"]
    assert await bot.setups.get(int(fake.guild_id)) is None

    everyone = fake.state.guilds[fake.guild_id].roles[0]
    ack = await owner.slash("setup", **{"mentor-role": everyone, "alerts-channel": alerts})
    assert "@everyone can't be the mentor role" in ack.data["content"]

    options = {"mentor-role": mentors, "alerts-channel": alerts, "crisis-resources": "Call 988"}
    ack = await owner.slash("setup", **options)
    assert ack.data["flags"] & EPHEMERAL
    assert f"<@&{mentors['id']}>" in ack.data["content"]
    assert f"<#{alerts['id']}>" in ack.data["content"]
    stored = await bot.setups.get(int(fake.guild_id))
    assert stored is not None
    assert (stored.mentor_role_id, stored.alerts_channel_id) == (
        int(mentors["id"]),
        int(alerts["id"]),
    )
    assert stored.resources == "Call 988"


async def test_a_role_with_manage_server_may_set_up(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    manage_guild = 1 << 5
    fake.add_role(fake.guild_id, "Admins", members=[fake.user], permissions=manage_guild)
    mentors = fake.add_role(fake.guild_id, "Mentors")
    bot: MentorBot = await run_bot.start(make_bot(fake, tmp_path))
    options = {"mentor-role": mentors, "alerts-channel": fake.channel_named("general")}
    ack = await Member(fake, fake.user).slash("setup", **options)
    assert "Mentor set-up saved" in ack.data["content"]
    assert "international default" in ack.data["content"]
    assert await bot.setups.get(int(fake.guild_id)) is not None

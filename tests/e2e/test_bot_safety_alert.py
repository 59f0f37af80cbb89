"""A crisis message end to end: the member's reply, the mentors' alert, the stored event."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from bot.client import MentorBot
from bot.db.engine import create_sessionmaker
from bot.db.models import SafetyEvent
from bot.domain.safety import CRISIS_DEFAULT_RESOURCES
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, custom_ids, make_bot
from tests.e2e.payloads import Json
from tests.e2e.test_bot_coaching import start_grow

CRISIS = "i keep thinking everyone would be better off without me honestly"
RESOURCES = "Call or text 988 (US), or Samaritans on 116 123 (UK and Ireland)"
ALERT_POST = r"/channels/{}/messages$"


async def set_up(fake: FakeDiscord) -> tuple[Json, Json]:
    """Run /setup as the server owner; return the mentor role and the alerts channel."""
    mentors = fake.add_role(fake.guild_id, "Mentors")
    alerts = fake.add_channel("mentor-alerts")
    return mentors, alerts


async def configure(fake: FakeDiscord, mentors: Json, alerts: Json) -> None:
    owner = Member(fake, fake.state.owner)
    options = {"mentor-role": mentors, "alerts-channel": alerts, "crisis-resources": RESOURCES}
    ack = await owner.slash("setup", **options)
    assert "Mentor set-up saved" in ack.data["content"]


async def alert_in(fake: FakeDiscord, channel: Json, start: int) -> Json:
    """Wait for the bot's alert in the alerts channel."""
    found = await fake.wait_for_request(
        lambda r: r.matches("POST", ALERT_POST.format(channel["id"])) and r.status == 200,
        5.0,
        start=start,
    )
    return found.json  # type: ignore[no-any-return]


async def stored_events(bot: MentorBot) -> list[SafetyEvent]:
    assert bot.engine is not None
    async with create_sessionmaker(bot.engine)() as s:
        return list((await s.execute(select(SafetyEvent))).scalars())


async def alerted_event(bot: MentorBot) -> SafetyEvent:
    """The one stored event, once the alert's delivery has been recorded on it."""
    async with asyncio.timeout(3):
        while True:
            (event,) = await stored_events(bot)
            if event.alerted_at is not None:
                return event
            await asyncio.sleep(0.05)


def assert_names_without_quoting(alert: Json, user: Json, mentors: Json) -> None:
    content = alert["content"]
    assert f"<@{user['id']}>" in content
    assert f"<@&{mentors['id']}>" in content
    assert "<t:" in content
    assert ":f>" in content
    assert "thoughts of suicide" in content
    for word in ("keep", "everyone", "better off", "without me", "honestly"):
        assert word not in content.lower()
    # The mentor role is the one deliberate ping; the member is named, not notified.
    assert alert["allowed_mentions"] == {"parse": [], "roles": [mentors["id"]], "users": []}


async def test_a_crisis_in_a_server_conversation_reaches_the_mentors_without_the_words(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    mentors, alerts = await set_up(fake)
    bot: MentorBot = await run_bot.start(make_bot(fake, tmp_path))
    await configure(fake, mentors, alerts)
    alice = Member(fake, fake.user)
    await start_grow(alice)

    start = len(fake.requests)
    reply = await alice.say(CRISIS)
    assert RESOURCES in reply["content"]
    assert CRISIS_DEFAULT_RESOURCES not in reply["content"]
    assert "letting a mentor" in reply["content"]
    assert "not an emergency service" in reply["content"]
    assert [c.rsplit(":", 2)[1] for c in custom_ids(reply)] == ["resume"]

    alert = await alert_in(fake, alerts, start)
    assert_names_without_quoting(alert, fake.user, mentors)
    await asyncio.sleep(0.3)
    posted = fake.messages_in(alerts["id"])
    assert len(posted) == 1  # sent once
    event = await alerted_event(bot)
    assert event.concerns == "suicide"

    back = await alice.say("I'm fine")
    assert "Welcome back" in back["content"]
    assert RESOURCES in back["content"]
    assert "?" in back["content"]
    after = await alice.say("I want to be promoted to senior engineer before next summer")
    assert "promoted to senior engineer" in after["content"]
    assert len(fake.messages_in(alerts["id"])) == 1


async def test_a_crisis_in_a_dm_conversation_alerts_the_members_server(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    mentors, alerts = await set_up(fake)
    bot: MentorBot = await run_bot.start(make_bot(fake, tmp_path))
    await configure(fake, mentors, alerts)
    alice = Member(fake, fake.user)
    await start_grow(alice)  # gives her a record in the server
    await alice.say("end")

    start = len(fake.requests)
    ack = await alice.slash("coach", "start", in_dm=True, framework="grow")
    assert ack.type == 5
    await alice.next_message(alice.dm, start)
    start = len(fake.requests)
    reply = await alice.say(CRISIS)
    assert RESOURCES in reply["content"]
    assert "letting a mentor" in reply["content"]
    alert = await alert_in(fake, alerts, start)
    assert_names_without_quoting(alert, fake.user, mentors)
    assert "direct-message conversation" in alert["content"]
    await alerted_event(bot)


async def test_a_failed_alert_is_posted_on_the_retry(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    mentors, alerts = await set_up(fake)
    bot: MentorBot = await run_bot.start(make_bot(fake, tmp_path))
    assert bot.alerts is not None
    await configure(fake, mentors, alerts)
    alice = Member(fake, fake.user)
    await start_grow(alice)
    fake.fail_next("POST", ALERT_POST.format(alerts["id"]), 403)
    await alice.say(CRISIS)
    refused = await fake.wait_for_request(
        lambda r: r.matches("POST", ALERT_POST.format(alerts["id"])), 5.0
    )
    assert refused.status == 403
    assert fake.messages_in(alerts["id"]) == []
    assert (await stored_events(bot))[0].alerted_at is None
    # A channel that refused is left alone for a while (ten minutes), not hammered.
    await bot.alerts.deliver_pending()
    assert fake.messages_in(alerts["id"]) == []

    # A new process (after the permissions were fixed) delivers it on its first pass.
    bot = await run_bot.restart(bot, make_bot(fake, tmp_path))
    alert = await alert_in(fake, alerts, 0)
    assert_names_without_quoting(alert, fake.user, mentors)
    await asyncio.sleep(0.3)
    assert len(fake.messages_in(alerts["id"])) == 1
    await alerted_event(bot)


async def test_without_a_set_up_the_member_gets_the_default_help_and_no_promise(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    bot: MentorBot = await run_bot.start(make_bot(fake, tmp_path))
    alice = Member(fake, fake.user)
    await start_grow(alice)
    reply = await alice.say(CRISIS)
    assert CRISIS_DEFAULT_RESOURCES in reply["content"]
    assert "mentor" not in reply["content"].lower()
    await asyncio.sleep(0.3)
    posts = [r for r in fake.requests if r.matches("POST", r"^/channels/\d+/messages$")]
    assert posts
    assert all(r.path == f"/channels/{alice.dm}/messages" for r in posts)
    (event,) = await stored_events(bot)
    assert event.alerted_at is None

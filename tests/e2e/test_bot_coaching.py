"""The real bot, end to end on the fake Discord: coaching conversations over DMs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conversations import SCRIPTS
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, custom_ids, make_bot

EPHEMERAL = 64


async def start_grow(alice: Member) -> dict:
    """Run /coach start framework:grow and return the first question in the DM."""
    start = len(alice.fake.requests)
    ack = await alice.slash("coach", "start", framework="grow")
    assert ack.type == 5
    assert ack.data["flags"] & EPHEMERAL
    first = await alice.next_message(alice.dm, start)
    confirmation = await ack.next_webhook()
    assert "direct message" in confirmation.json["content"]
    assert confirmation.json["flags"] & EPHEMERAL
    return first


async def test_full_grow_conversation_over_dms(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    first = await start_grow(alice)
    assert "GROW" in first["content"]
    assert "?" in first["content"]
    assert any(c.endswith(f":skip:{0}") for c in custom_ids(first))

    reply = first
    for answer in SCRIPTS["grow"]:
        reply = await alice.say(answer)
    assert "finished" in reply["content"]
    assert SCRIPTS["grow"][0] in reply["content"]
    assert "stretch project" in reply["content"]
    assert not reply.get("components")
    assert all(m["allowed_mentions"] == {"parse": []} for m in _message_posts(fake_discord))
    typing = [r for r in fake_discord.requests if r.matches("POST", r"/typing$")]
    assert len(typing) == len(SCRIPTS["grow"])


async def test_buttons_work_after_a_restart(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    bot = await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    first = await start_grow(alice)
    question = await alice.say(SCRIPTS["grow"][0])
    await run_bot.restart(bot, make_bot(fake_discord, tmp_path))

    start = len(fake_discord.requests)
    press = await alice.press(question, r":skip:")
    assert press.type == 7  # the pressed message loses its buttons
    after_skip = await alice.next_message(alice.dm, start)
    assert "Options" in after_skip["content"]

    stale = await alice.press(first, r":skip:")
    assert stale.type == 7
    warning = await stale.next_webhook()
    assert "already been answered" in warning.json["content"]
    assert warning.json["flags"] & EPHEMERAL

    start = len(fake_discord.requests)
    await alice.press(after_skip, r":pause:")
    paused = await alice.next_message(alice.dm, start)
    assert "paused" in paused["content"].lower()
    start = len(fake_discord.requests)
    await alice.press(paused, r":resume:")
    resumed = await alice.next_message(alice.dm, start)
    assert "Welcome back" in resumed["content"]
    start = len(fake_discord.requests)
    await alice.press(resumed, r":end:")
    ended = await alice.next_message(alice.dm, start)
    assert "ended" in ended["content"]
    assert SCRIPTS["grow"][0] in ended["content"]


async def test_dms_closed_offers_a_private_thread(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    fake_discord.fail_next("POST", r"/channels/\d+/messages$", 403, code=50007)
    ack = await alice.slash("coach", "start", framework="grow")
    notice = await ack.next_webhook()
    assert "Privacy Settings" in notice.json["content"]
    assert notice.json["flags"] & EPHEMERAL
    offered = fake_discord.state.find_message(notice.response["id"])
    assert offered is not None

    start = len(fake_discord.requests)
    move = await alice.press(offered, r":thread$")
    assert move.type == 5
    created = await fake_discord.wait_for_request(
        lambda r: r.matches("POST", r"/channels/\d+/threads$"), start=start
    )
    assert created.json["type"] == 12  # private thread
    thread_id = created.response["id"]
    await fake_discord.wait_for_request(
        lambda r: r.matches("PUT", rf"/channels/{thread_id}/thread-members/\d+$"), start=start
    )
    assert fake_discord.state.thread_members[thread_id] == {alice.user["id"]}
    question = await alice.next_message(thread_id, start)
    assert "?" in question["content"]
    answer_button = next(c for c in custom_ids(question) if ":answer:" in c)

    opened = await alice.press(question, answer_button)
    assert opened.type == 9  # a modal
    start = len(fake_discord.requests)
    submit = fake_discord.make_modal_submit(
        opened.record.payload, {_modal_input(opened): SCRIPTS["grow"][0]}
    )
    await fake_discord.interact(submit)
    next_question = await alice.next_message(thread_id, start)
    assert "promoted to senior engineer" in next_question["content"]


async def test_a_429_on_the_dm_is_retried(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    await start_grow(alice)
    fake_discord.fail_next("POST", rf"/channels/{alice.dm}/messages$", 429, retry_after=0.2)
    reply = await alice.say(SCRIPTS["grow"][0])
    assert "promoted" in reply["content"]
    attempts = [
        r for r in fake_discord.requests if r.matches("POST", rf"/channels/{alice.dm}/messages$")
    ]
    assert [r.status for r in attempts[-2:]] == [429, 200]


async def test_everyone_in_member_text_is_echoed_without_a_ping(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    await start_grow(alice)
    reply = await alice.say("I want @everyone and <@&123> on my team to take my proposal seriously")
    assert "@everyone" in reply["content"]
    assert reply["mention_everyone"] is False
    posted = _message_posts(fake_discord)[-1]
    assert posted["allowed_mentions"] == {"parse": []}


async def test_two_members_at_once_do_not_cross(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    bob_user = fake_discord.add_user("bob")
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    bob = Member(fake_discord, bob_user)
    await start_grow(alice)
    await start_grow(bob)
    a, b = await asyncio.gather(
        alice.say("I want to lead the platform team by next spring"),
        bob.say("I want to pass my Amazon interview loop in January"),
    )
    assert "platform team" in a["content"]
    assert "Amazon" not in a["content"]
    assert "Amazon interview loop" in b["content"]
    assert a["channel_id"] == alice.dm
    assert b["channel_id"] == bob.dm


def _message_posts(fake: FakeDiscord) -> list[dict]:
    return [
        r.json for r in fake.requests if r.matches("POST", r"/channels/\d+/messages$") and r.json
    ]


def _modal_input(opened) -> str:  # type: ignore[no-untyped-def]
    modal = opened.data
    row = modal["components"][0]
    return row["components"][0]["custom_id"] if "components" in row else row["custom_id"]


async def test_an_answer_sent_the_moment_the_first_question_arrives_is_taken(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    start = len(fake_discord.requests)
    await alice.slash("coach", "start", framework="grow")
    await alice.next_message(alice.dm, start)
    reply = await alice.say(SCRIPTS["grow"][0])  # before the private confirmation is even sent
    assert "promoted to senior engineer" in reply["content"]


async def test_a_crisis_message_gets_the_safety_reply_and_a_resume_button(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    await start_grow(alice)
    reply = await alice.say("i cant do this anymore i just want to disappear for good")
    assert "not an emergency service" in reply["content"]
    assert "?" not in reply["content"].split("\n", 1)[1]
    assert [c.rsplit(":", 2)[1] for c in custom_ids(reply)] == ["resume"]
    back = await alice.say("I'm ok now")
    assert "Welcome back" in back["content"]

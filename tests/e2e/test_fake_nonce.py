"""Message nonces: with enforce_nonce a repeated send returns the first message."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from discord.http import Route

from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.payloads import Json
from tests.e2e.rawhttp import bare_client, post_message

SEND = r"^/channels/\d+/messages$"


async def post(
    session: aiohttp.ClientSession, fake: FakeDiscord, channel_id: str, body: Json, **kw: Any
) -> tuple[int, Any]:
    """Post a message body as a bot and return the status and the JSON answer."""
    status, answer, _ = await post_message(session, fake, channel_id, body, **kw)
    return status, answer


def enforced(content: str, nonce: str | int) -> Json:
    """Return a message body whose nonce Discord must enforce."""
    return {"content": content, "nonce": nonce, "enforce_nonce": True}


async def test_enforced_nonce_returns_the_first_message(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    status_1, first = await post(session, fake, fake.channel_id, enforced("week 12", "outbox-7"))
    status_2, again = await post(session, fake, fake.channel_id, enforced("week 12", "outbox-7"))

    assert (status_1, status_2) == (200, 200)
    assert again == first
    assert first["nonce"] == "outbox-7"
    assert [m["id"] for m in fake.messages_in(fake.channel_id)] == [first["id"]]
    assert fake.nonce_dedups == 1
    sends = fake.requests.matching(lambda r: r.matches("POST", SEND))
    assert [r.deduplicated for r in sends] == [False, True]


async def test_repeat_returns_the_message_as_it_is_now(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    _, first = await post(session, fake, fake.channel_id, enforced("draft", "n-1"))
    fake.state.edit_message(fake.state.find_message(first["id"]) or {}, {"content": "edited"})

    # The repeat's own body is not applied: Discord hands back what it already has.
    _, again = await post(session, fake, fake.channel_id, enforced("something else", "n-1"))

    assert again["id"] == first["id"]
    assert again["content"] == "edited"


async def test_integer_nonce_is_enforced_and_echoed(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    _, first = await post(session, fake, fake.channel_id, enforced("hi", 2**62))
    _, again = await post(session, fake, fake.channel_id, enforced("hi", 2**62))

    assert first["nonce"] == 2**62
    assert again["id"] == first["id"]
    assert len(fake.messages_in(fake.channel_id)) == 1


async def test_same_nonce_in_another_channel_creates_a_message(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    dm_id = fake.dm_channel_id(fake.user)
    _, in_guild = await post(session, fake, fake.channel_id, enforced("hi", "shared"))
    _, in_dm = await post(session, fake, dm_id, enforced("hi", "shared"))

    assert in_dm["id"] != in_guild["id"]
    assert fake.message_counts() == {fake.channel_id: 1, dm_id: 1}
    assert fake.nonce_dedups == 0


async def test_same_nonce_from_another_bot_creates_a_message(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    other_token, other_bot = fake.add_bot("otherbot")
    _, ours = await post(session, fake, fake.channel_id, enforced("hi", "shared"))
    _, theirs = await post(
        session, fake, fake.channel_id, enforced("hi", "shared"), token=other_token
    )

    assert theirs["id"] != ours["id"]
    assert theirs["author"]["id"] == other_bot["id"]
    assert ours["author"]["id"] == fake.application_id
    assert len(fake.messages_in(fake.channel_id)) == 2
    assert fake.nonce_dedups == 0
    # The other bot still gets its own message back for its own repeat.
    _, repeat = await post(
        session, fake, fake.channel_id, enforced("hi", "shared"), token=other_token
    )
    assert repeat["id"] == theirs["id"]


async def test_without_enforce_nonce_a_repeat_is_a_duplicate(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    body = {"content": "week 12", "nonce": "outbox-7"}
    _, first = await post(session, fake, fake.channel_id, body)
    _, second = await post(session, fake, fake.channel_id, {**body, "enforce_nonce": False})

    assert second["id"] != first["id"]
    assert fake.nonce_dedups == 0
    by_nonce = fake.duplicate_messages("nonce")
    assert list(by_nonce) == [(fake.channel_id, "outbox-7")]
    assert [m["id"] for m in by_nonce[(fake.channel_id, "outbox-7")]] == [first["id"], second["id"]]
    assert list(fake.duplicate_messages("content")) == [(fake.channel_id, "week 12")]


async def test_enforce_nonce_without_a_nonce_creates_each_time(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    for _ in range(2):
        await post(session, fake, fake.channel_id, {"content": "hi", "enforce_nonce": True})

    assert len(fake.messages_in(fake.channel_id)) == 2
    assert fake.duplicate_messages("nonce") == {}


async def test_nonce_is_forgotten_after_the_window(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    fake.nonce_window = 0.2
    _, first = await post(session, fake, fake.channel_id, enforced("hi", "n"))
    _, inside = await post(session, fake, fake.channel_id, enforced("hi", "n"))
    await asyncio.sleep(0.25)
    _, after = await post(session, fake, fake.channel_id, enforced("hi", "n"))

    assert inside["id"] == first["id"]
    assert after["id"] != first["id"]
    assert len(fake.messages_in(fake.channel_id)) == 2
    # The window restarts from the newest message with the nonce.
    _, repeat = await post(session, fake, fake.channel_id, enforced("hi", "n"))
    assert repeat["id"] == after["id"]


def test_default_window_is_five_minutes() -> None:
    assert FakeDiscord().nonce_window == 300.0


async def test_nonce_of_a_deleted_message_is_not_found(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    _, first = await post(session, fake, fake.channel_id, enforced("hi", "n"))
    fake.state.delete_message(fake.state.find_message(first["id"]) or {})

    status, body = await post(session, fake, fake.channel_id, enforced("hi", "n"))

    assert (status, body["code"]) == (404, 10008)
    assert fake.messages_in(fake.channel_id) == []


async def test_nonce_longer_than_25_characters_is_rejected(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    if fake.validator is None:
        pytest.skip("the nonce length comes from the OpenAPI spec, which is absent")
    fake.expect_violation(r"nonce")

    status, body = await post(session, fake, fake.channel_id, enforced("hi", "n" * 26))

    assert (status, body["code"]) == (400, 50035)
    assert fake.messages_in(fake.channel_id) == []


async def test_duplicate_messages_groups_per_channel_and_ignores_other_authors(
    fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    fake = fake_discord
    dm_id = fake.dm_channel_id(fake.user)
    for channel_id in (fake.channel_id, dm_id):
        await post(session, fake, channel_id, {"content": "same words"})
    fake.make_dm_message(fake.user, "thanks")
    fake.make_dm_message(fake.user, "thanks")

    assert fake.duplicate_messages("content") == {}
    assert list(fake.duplicate_messages("content", author_id=fake.user["id"])) == [
        (dm_id, "thanks")
    ]
    await post(session, fake, dm_id, {"content": "Same Words"})
    folded = fake.duplicate_messages(lambda m: m["content"].lower(), channel_id=dm_id)
    assert list(folded) == [(dm_id, "same words")]
    assert fake.message_counts() == {fake.channel_id: 1, dm_id: 4}


async def test_discord_py_send_enforces_the_nonce_it_is_given(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    channel = client.get_partial_messageable(int(fake.channel_id))

    first = await channel.send("week 12 check-in", nonce="outbox-42")
    again = await channel.send("week 12 check-in", nonce="outbox-42")

    assert again.id == first.id
    assert first.nonce == "outbox-42"
    assert len(fake.messages_in(fake.channel_id)) == 1
    sends = fake.requests.matching(lambda r: r.matches("POST", SEND))
    # discord.py 2.7 always pairs a nonce with enforce_nonce and sends it as a string.
    assert [(r.json["nonce"], r.json["enforce_nonce"]) for r in sends] == [("outbox-42", True)] * 2
    assert [r.deduplicated for r in sends] == [False, True]


async def test_discord_py_send_without_nonce_uses_a_random_one(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    channel = client.get_partial_messageable(int(fake.channel_id))

    await channel.send("hello")
    await channel.send("hello")

    sends = fake.requests.matching(lambda r: r.matches("POST", SEND))
    nonces = [r.json["nonce"] for r in sends]
    assert len(set(nonces)) == 2
    assert all(r.json["enforce_nonce"] is True for r in sends)
    assert list(fake.duplicate_messages("content")) == [(fake.channel_id, "hello")]


async def test_raw_route_with_nonce_survives_a_lost_response(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    dm_id = fake.dm_channel_id(fake.user)
    # The message is created but the answer is a 500: discord.py retries the same body.
    fake.fail_next("POST", rf"^/channels/{dm_id}/messages$", 500, lose_response=True)
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=int(dm_id))
    body = {"content": "weekly plan", "nonce": "outbox-9", "enforce_nonce": True}

    data = await client.http.request(route, json=body)

    assert [m["id"] for m in fake.messages_in(dm_id)] == [data["id"]]
    sends = fake.requests.matching(lambda r: r.matches("POST", SEND))
    assert [(r.status, r.deduplicated) for r in sends] == [(500, False), (200, True)]


async def test_lost_response_without_nonce_duplicates_the_message(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    client = await run_bot.start(bare_client())
    dm_id = fake.dm_channel_id(fake.user)
    fake.fail_next("POST", rf"^/channels/{dm_id}/messages$", 500, lose_response=True)
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=int(dm_id))

    await client.http.request(route, json={"content": "weekly plan"})

    assert len(fake.messages_in(dm_id)) == 2
    assert list(fake.duplicate_messages("content")) == [(dm_id, "weekly plan")]


async def test_resend_after_restart_returns_the_first_message(
    fake_discord: FakeDiscord, run_bot: BotRunner
) -> None:
    fake = fake_discord
    dm_id = int(fake.dm_channel_id(fake.user))
    before = await run_bot.start(bare_client())
    sent = await before.get_partial_messageable(dm_id).send("weekly plan", nonce="outbox-3")

    after = await run_bot.restart(before, bare_client())
    resent = await after.get_partial_messageable(dm_id).send("weekly plan", nonce="outbox-3")

    assert resent.id == sent.id
    assert len(fake.messages_in(str(dm_id))) == 1
    assert fake.nonce_dedups == 1

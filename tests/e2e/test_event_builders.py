"""The fake's payload builders produce the documented event shapes."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.fake import FakeDiscord
from tests.e2e.payloads import Json
from tests.e2e.state import InteractionRecord

MODAL: Json = {
    "custom_id": "checkin",
    "title": "Check in",
    "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "win", "style": 1, "label": "Win"}]},
        {
            "type": 18,
            "label": "Mood",
            "component": {
                "type": 3,
                "custom_id": "mood",
                "options": [{"label": "ok", "value": "ok"}],
            },
        },
        {"type": 10, "content": "Take your time."},
    ],
}


async def opened_modal(fake: FakeDiscord) -> Json:
    """Return a slash interaction recorded as answered with MODAL, without running a bot."""
    opened_by = fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "checkin")
    acked: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
    acked.set_result({"type": 9, "data": MODAL})
    fake.state.interactions[opened_by["token"]] = InteractionRecord(opened_by, 0.0, acked)
    fake.state.modals[MODAL["custom_id"]] = MODAL
    return opened_by


def test_slash_options_and_subcommands_nest_as_documented() -> None:
    fake = FakeDiscord()

    payload = fake.make_slash_interaction(
        fake.user,
        fake.guild_id,
        fake.channel_id,
        "debrief",
        {"note": "ok", "week": 3, "share": True, "score": 0.5},
        subcommand="start",
        group="weekly",
    )

    group = payload["data"]["options"][0]
    assert (group["type"], group["name"]) == (2, "weekly")
    sub = group["options"][0]
    assert (sub["type"], sub["name"]) == (1, "start")
    assert [(o["name"], o["type"]) for o in sub["options"]] == [
        ("note", 3),
        ("week", 4),
        ("share", 5),
        ("score", 10),
    ]


def test_guild_interaction_carries_member_and_required_fields() -> None:
    fake = FakeDiscord()

    payload = fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "ping")

    for key in ("version", "application_id", "attachment_size_limit", "entitlements", "locale"):
        assert key in payload
    assert payload["context"] == 0
    assert payload["authorizing_integration_owners"] == {"0": fake.guild_id}
    assert payload["member"]["user"]["id"] == fake.user["id"]
    assert payload["member"]["flags"] == 0
    assert "user" not in payload
    assert payload["channel"]["id"] == fake.channel_id


def test_user_role_and_channel_options_are_resolved() -> None:
    fake = FakeDiscord()
    bob = fake.add_user("bob")
    mentors = fake.add_role(fake.guild_id, "Mentors", members=[bob])
    alerts = fake.add_channel("alerts")

    payload = fake.make_slash_interaction(
        fake.user,
        fake.guild_id,
        fake.channel_id,
        "setup",
        {"who": bob, "role": mentors, "where": alerts},
    )

    options = {o["name"]: (o["type"], o["value"]) for o in payload["data"]["options"]}
    assert options == {
        "who": (6, bob["id"]),
        "role": (8, mentors["id"]),
        "where": (7, alerts["id"]),
    }
    resolved = payload["data"]["resolved"]
    assert resolved["users"][bob["id"]] == bob
    assert resolved["members"][bob["id"]]["roles"] == [mentors["id"]]
    assert "user" not in resolved["members"][bob["id"]]
    assert resolved["roles"][mentors["id"]]["name"] == "Mentors"
    assert resolved["channels"][alerts["id"]]["name"] == "alerts"


def test_member_permissions_come_from_roles_and_ownership() -> None:
    fake = FakeDiscord()
    manage_guild, administrator = 1 << 5, 1 << 3
    plain = fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "x")
    assert not int(plain["member"]["permissions"]) & (manage_guild | administrator)

    owner = fake.make_slash_interaction(fake.state.owner, fake.guild_id, fake.channel_id, "x")
    assert int(owner["member"]["permissions"]) & administrator

    fake.add_role(fake.guild_id, "Admins", members=[fake.user], permissions=administrator)
    promoted = fake.make_slash_interaction(fake.user, fake.guild_id, fake.channel_id, "x")
    assert int(promoted["member"]["permissions"]) & manage_guild
    assert promoted["channel"]["permissions"] == promoted["member"]["permissions"]


def test_dm_interaction_carries_user_and_dm_channel() -> None:
    fake = FakeDiscord()

    payload = fake.make_slash_interaction(fake.user, None, None, "ping")

    assert payload["context"] == 1
    assert payload["user"]["id"] == fake.user["id"]
    assert "member" not in payload
    assert "guild_id" not in payload
    assert payload["channel"]["type"] == 1
    assert payload["channel_id"] == fake.dm_channel_id(fake.user)


def test_dm_message_has_no_guild() -> None:
    fake = FakeDiscord()

    message = fake.make_dm_message(fake.user, "hello")

    assert "guild_id" not in message
    assert message["author"] == fake.user
    assert message["channel_id"] == fake.dm_channel_id(fake.user)
    assert fake.messages_in(message["channel_id"]) == [message]


def test_component_interaction_needs_an_existing_component() -> None:
    fake = FakeDiscord()
    message = fake.state.add_message(fake.channel_id, fake.state.bot_user, {"content": "x"})

    with pytest.raises(ValueError, match="no component"):
        fake.make_component_interaction(fake.user, message, "missing")


async def test_modal_submit_mirrors_rows_labels_and_text() -> None:
    fake = FakeDiscord()
    opened_by = await opened_modal(fake)

    submit = fake.make_modal_submit(opened_by, {"win": "shipped", "mood": ["ok"]})

    rows = submit["data"]["components"]
    assert submit["type"] == 5
    assert submit["data"]["custom_id"] == "checkin"
    assert rows[0]["components"][0] == {"type": 4, "id": 2, "custom_id": "win", "value": "shipped"}
    assert rows[1]["component"] == {"type": 3, "id": 4, "custom_id": "mood", "values": ["ok"]}
    assert rows[2] == {"type": 10, "id": 5}
    with pytest.raises(ValueError, match="no inputs"):
        fake.make_modal_submit(opened_by, {"typo": "x"})

"""/privacy through the fake Discord: members see, share, export and erase only their own data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import BodyPartReader, web

from bot.client import MentorBot
from bot.db.base import Base
from bot.db.engine import create_engine, create_sessionmaker
from tests.e2e import fake as fake_module
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import Member, custom_ids, make_bot
from tests.e2e.recording import read_body
from tests.e2e.test_bot_coaching import EPHEMERAL, start_grow
from tests.fixtures_db import bot_database_url, hold_writes, query
from tests.services.test_privacy import scan, snapshot

Uploads = list[tuple[str, bytes]]
MEMBER_IDS = "SELECT id FROM members WHERE user_id = ?"
BOBS_TURNS = (
    "SELECT t.id, t.text FROM turns t "
    "JOIN coaching_sessions c ON c.id = t.session_id JOIN members m ON m.id = c.member_id "
    "WHERE m.user_id = ? ORDER BY t.id"
)


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> Uploads:
    """Keep the bytes of every file the bot uploads (the fake itself keeps only names)."""
    kept: Uploads = []

    async def read_keeping_files(request: web.Request) -> tuple[Any, bool, list[str]]:
        if not request.content_type.startswith("multipart/"):
            return await read_body(request)
        body: Any = None
        names: list[str] = []
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                body = json.loads(await part.text())
            else:
                names.append(part.filename or "")
                kept.append((part.filename or "", bytes(await part.read())))
        return body, True, names

    monkeypatch.setattr(fake_module, "read_body", read_keeping_files)
    return kept


def sql(data_dir: Path, statement: str, *args: object) -> list[tuple[Any, ...]]:
    return query(bot_database_url(data_dir), statement, *args)


async def traces(data_dir: Path, user: int, member_ids: set[int]) -> set[tuple[str, Any]]:
    """Rows holding the user's id in any column, or one of their member ids in a member key."""
    engine = create_engine(bot_database_url(data_dir))
    try:
        found = scan(await snapshot(create_sessionmaker(engine)), {user})
    finally:
        await engine.dispose()
    marks = ",".join("?" * len(member_ids))
    for table in Base.metadata.sorted_tables:
        keys = [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "members"]
        primary = ", ".join(c.name for c in table.primary_key.columns)
        for column in keys + (["id"] if table.name == "members" else []):
            query = f"SELECT {primary} FROM {table.name} WHERE {column} IN ({marks})"
            found |= {(table.name, row) for row in sql(data_dir, query, *member_ids)}
    return found


def exported_keys(data: dict[str, Any]) -> set[tuple[str, Any]]:
    """(table, primary key) of every row in an export."""
    return {
        (table, tuple(row[c.name] for c in Base.metadata.tables[table].primary_key.columns))
        for table, rows in data["tables"].items()
        for row in rows
    }


def user_id(member: Member) -> int:
    return int(member.user["id"])


async def run(member: Member, *args: Any, **options: Any) -> str:
    """Run a deferred /privacy command and return its private followup."""
    ack = await member.slash("privacy", *args, **options)
    assert ack.type == 5
    assert ack.data["flags"] & EPHEMERAL
    followup = await ack.next_webhook()
    assert followup.json["flags"] & EPHEMERAL
    return str(followup.json["content"])


async def test_show_and_share_in_a_server_and_from_dms(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    fake = fake_discord
    other = fake.add_guild("Interview Circle", members=[fake.user])
    await run_bot.start(make_bot(fake, tmp_path))
    alice = Member(fake, fake.user)
    await start_grow(alice)

    shown = await alice.slash("privacy", "show")
    assert shown.type == 4
    assert shown.data["flags"] & EPHEMERAL
    text = shown.data["content"]
    assert "1 coaching conversation" in text
    assert "1 member record" in text
    assert "Mentoring Hub: progress private, transcripts private" in text
    assert "never your words" in text
    assert len(text) <= 2000

    refused = await alice.slash("privacy", "share")
    assert refused.data["flags"] & EPHEMERAL
    assert "progress, transcripts or both" in refused.data["content"]

    saved = await run(alice, "share", progress="on")
    assert "Mentoring Hub: progress shared, transcripts private" in saved
    rows = "SELECT guild_id, share_progress, share_transcripts FROM members ORDER BY guild_id"
    hub, circle = int(fake.guild_id), int(other["id"])
    assert sql(tmp_path, rows) == [(hub, 1, 0)]

    # In a second server the choice is its own; from DMs it reaches every server.
    saved = await run(alice, "share", guild=other, transcripts="on")
    assert "Interview Circle: progress private, transcripts shared" in saved
    assert sql(tmp_path, rows) == [(hub, 1, 0), (circle, 0, 1)]
    saved = await run(alice, "share", in_dm=True, progress="off")
    assert "every server" in saved
    assert "Mentoring Hub: progress private, transcripts private" in saved
    assert "Interview Circle: progress private, transcripts shared" in saved
    assert sql(tmp_path, rows) == [(hub, 0, 0), (circle, 0, 1)]

    shown = await alice.slash("privacy", "show", in_dm=True)
    assert "Interview Circle: progress private, transcripts shared" in shown.data["content"]

    listed = await alice.slash("help")
    fields = {f["name"]: f["value"] for f in listed.data["embeds"][0]["fields"]}
    assert "/privacy show" in fields["Your data"]


async def test_export_arrives_as_a_dm_file_holding_only_the_members_own_data(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path, uploads: Uploads
) -> None:
    fake = fake_discord
    bob_user = fake.add_user("bob")
    await run_bot.start(make_bot(fake, tmp_path))
    alice, bob = Member(fake, fake.user), Member(fake, bob_user)
    await start_grow(alice)
    await alice.say("I want to lead the platform team by next spring")
    await start_grow(bob)
    await bob.say("I want to pass my Amazon interview loop in January")

    confirmation = await run(alice, "export")
    assert "sent your data to your direct messages" in confirmation
    posted = fake.requests.matching(
        lambda r: r.multipart and r.matches("POST", rf"/channels/{alice.dm}/messages$")
    )
    assert len(posted) == 1
    assert posted[0].files == [uploads[0][0]]
    assert uploads[0][0].startswith("mentorbot-my-data-")
    assert uploads[0][0].endswith(".json")
    assert posted[0].json["allowed_mentions"] == {"parse": []}

    data = json.loads(uploads[0][1])
    assert data["user_id"] == user_id(alice)
    assert [m["user_id"] for m in data["tables"]["members"]] == [user_id(alice)]
    said = [t["text"] for t in data["tables"]["turns"] if t["role"] == "member"]
    assert said == ["I want to lead the platform team by next spring"]
    raw = uploads[0][1].decode()
    assert str(user_id(bob)) not in raw
    assert "Amazon" not in raw

    await run(bob, "export")
    bobs = json.loads(uploads[1][1])
    assert bobs["user_id"] == user_id(bob)
    assert str(user_id(alice)) not in uploads[1][1].decode()


async def test_export_with_closed_dms_says_how_to_open_them(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    await run(alice, "share", progress="on")  # something to export
    fake_discord.fail_next("POST", r"/channels/\d+/messages$", 403, code=50007)
    answer = await run(alice, "export")
    assert "DMs are closed" in answer
    assert "Privacy Settings" in answer
    assert sql(tmp_path, "SELECT share_progress FROM members") == [(1,)]


async def test_delete_asks_first_refuses_other_users_and_leaves_no_trace(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path, uploads: Uploads
) -> None:
    fake = fake_discord
    bob_user = fake.add_user("bob")
    await run_bot.start(make_bot(fake, tmp_path))
    alice, bob = Member(fake, fake.user), Member(fake, bob_user)
    await start_grow(alice)
    await alice.say("I want to lead the platform team by next spring")
    await run(alice, "share", progress="on")
    # From the DMs: a second member record, the one outside any server.
    await alice.slash(
        "debrief", "schedule", in_dm=True, day=4, time="18:30", timezone="Europe/London"
    )
    await start_grow(bob)
    await bob.say("I want to pass my Amazon interview loop in January")
    alice_members = {r[0] for r in sql(tmp_path, MEMBER_IDS, user_id(alice))}
    bobs_before = sql(tmp_path, BOBS_TURNS, user_id(bob))
    assert bobs_before[0][0] >= 3
    before = await traces(tmp_path, user_id(alice), alice_members)
    assert {table for table, _ in before} >= {"members", "coaching_sessions", "member_schedules"}
    await run(alice, "export")
    assert before <= exported_keys(json.loads(uploads[-1][1]))

    prompt = await alice.slash("privacy", "delete")
    assert prompt.type == 4
    assert prompt.data["flags"] & EPHEMERAL
    assert "1 coaching conversation" in prompt.data["content"]
    assert "can't be undone" in prompt.data["content"]
    message = prompt.message
    assert message is not None
    assert custom_ids(message) == [
        f"privacy:delete:{user_id(alice)}",
        f"privacy:keep:{user_id(alice)}",
    ]

    # Bob presses Alice's button (a forged or leaked custom_id): refused, nothing erased.
    refused = await bob.press(message, r"^privacy:delete:")
    assert refused.type == 4
    assert refused.data["flags"] & EPHEMERAL
    assert "someone else's" in refused.data["content"]
    assert sql(tmp_path, "SELECT count(*) FROM members WHERE user_id = ?", user_id(alice)) == [(2,)]

    kept = await alice.press(message, r"^privacy:keep:")
    assert kept.type == 7
    assert "Nothing was deleted" in kept.data["content"]
    assert kept.data["components"] == []
    assert sql(tmp_path, "SELECT count(*) FROM members WHERE user_id = ?", user_id(alice)) == [(2,)]

    prompt = await alice.slash("privacy", "delete")
    pressed = await alice.press(prompt.message, r"^privacy:delete:")
    assert pressed.type == 7
    assert pressed.data["components"] == []
    summary = pressed.data["content"]
    assert summary.startswith("Done. I erased 2 member records, 1 coaching conversation, ")
    assert "1 debrief schedule" in summary

    assert await traces(tmp_path, user_id(alice), alice_members) == set()
    assert sql(tmp_path, "SELECT user_id FROM members") == [(user_id(bob),)]
    assert sql(tmp_path, BOBS_TURNS, user_id(bob)) == bobs_before

    # A message in the old conversation brings nothing back.
    reply = await alice.say("I want to lead the platform team by next spring")
    assert "no coaching conversation open" in reply["content"]
    assert sql(tmp_path, "SELECT count(*) FROM members WHERE user_id = ?", user_id(alice)) == [(0,)]
    again = await alice.slash("privacy", "delete")
    assert "nothing to delete" in again.data["content"]


async def test_an_erasure_behind_other_writes_is_acknowledged_then_reported(
    fake_discord: FakeDiscord, run_bot: BotRunner, tmp_path: Path
) -> None:
    bot: MentorBot = await run_bot.start(make_bot(fake_discord, tmp_path))
    alice = Member(fake_discord, fake_discord.user)
    await start_grow(alice)
    members = {r[0] for r in sql(tmp_path, MEMBER_IDS, user_id(alice))}
    cog: Any = bot.get_cog("Privacy")
    cog.erase_wait = 0.2
    prompt = await alice.slash("privacy", "delete")
    assert prompt.message is not None
    assert bot.engine is not None
    async with hold_writes(create_sessionmaker(bot.engine), user_id(alice)):
        # Every write waits here, so the erasure cannot finish before the answer is due.
        pressed = await alice.press(prompt.message, r"^privacy:delete:")
        assert pressed.type == 7
        assert "Erasing everything" in pressed.data["content"]
        assert pressed.data["components"] == []
        assert len(sql(tmp_path, MEMBER_IDS, user_id(alice))) == 1
    done = await pressed.next_webhook()
    assert done.json["flags"] & EPHEMERAL
    assert done.json["content"].startswith("Done. I erased 1 member record, ")
    assert await traces(tmp_path, user_id(alice), members) == set()

"""Privacy on a real SQLite file: discovery over every table, export, sharing and erasure."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import Base
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import (
    BotState,
    CoachingSession,
    Commitment,
    Goal,
    GuildConfig,
    Member,
    MemberSchedule,
    OfficeHours,
    OfficeHoursEntry,
    OfficeHoursReminder,
    OfficeHoursSchedule,
    OutboxMessage,
    SafetyEvent,
    StressScore,
    Turn,
)
from bot.domain.frameworks import Catalogue
from bot.errors import NoOpenConversation, UserFacingError
from bot.services.clock import FixedClock
from bot.services.coaching import CoachingService, MemberRef
from bot.services.privacy import (
    Discovery,
    Erasure,
    MemberData,
    PrivacyService,
    Sharing,
    Summary,
    jsonable,
)
from bot.ui import privacy as words
from tests.fixtures_db import hold_writes, sqlite_url

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ALICE, BOB = 412345678901234567, 498765432109876543
GUILD_A, GUILD_B = 701111111111111111, 702222222222222222
# Distinctive member ids: a scan of every column cannot mistake another value for them.
ALICE_DM, ALICE_A, ALICE_B, BOB_A = 900001, 900002, 900003, 900004
# Tables that hold no member data: server set-ups and the bot's own values.
UNRELATED = {"bot_state", "guild_configs"}
Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def member(member_id: int, guild_id: int, user_id: int, name: str) -> Member:
    return Member(
        id=member_id,
        guild_id=guild_id,
        user_id=user_id,
        display_name=name,
        timezone="Europe/London",
        dm_channel_id=user_id + 1,
        created_at=NOW,
        updated_at=NOW,
    )


def conversation(member_id: int, topic: str, user_id: int) -> CoachingSession:
    return CoachingSession(
        member_id=member_id,
        framework_id="grow",
        framework_version=1,
        topic=topic,
        stage_id="goal",
        status="paused",
        # The engine's state may carry facts; the scan must find the user's id inside JSON too.
        state={"facts": {"name": topic, "mention": f"<@{user_id}>"}, "turns": 2},
        channel_id=user_id + 1,
        started_at=NOW,
        updated_at=NOW,
    )


async def seed(sm: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Alice in DMs and two servers with rows in every member table; Bob beside her."""
    ids: dict[str, int] = {}
    async with sm() as s, s.begin():
        s.add_all(
            [
                member(ALICE_DM, 0, ALICE, "alice"),
                member(ALICE_A, GUILD_A, ALICE, "alice"),
                member(ALICE_B, GUILD_B, ALICE, "Alice B"),
                member(BOB_A, GUILD_A, BOB, "bob"),
                GuildConfig(guild_id=GUILD_A, mentor_role_id=5, alerts_channel_id=6),
                BotState(key="command_tree_hash", value="abc"),
            ]
        )
        await s.flush()
        mine = conversation(ALICE_A, "lead the platform team", ALICE)
        dm_talk = conversation(ALICE_DM, "sleep better", ALICE)
        his = conversation(BOB_A, "Amazon loop", BOB)
        s.add_all([mine, dm_talk, his])
        await s.flush()
        ids.update(alice_session=mine.id, alice_dm_session=dm_talk.id, bob_session=his.id)
        for cs, said in ((mine, "I want to lead"), (dm_talk, "I sleep badly"), (his, "Amazon")):
            s.add_all(
                [
                    Turn(session_id=cs.id, role="member", kind="message", text=said),
                    Turn(session_id=cs.id, role="coach", kind="question", text="What else?"),
                ]
            )
        s.add_all(
            [
                Goal(member_id=ALICE_A, session_id=mine.id, text="lead the team"),
                Goal(member_id=BOB_A, session_id=his.id, text="pass the loop"),
                Commitment(member_id=ALICE_A, session_id=mine.id, text="ask for a stretch project"),
                Commitment(member_id=ALICE_B, session_id=None, text="write a STAR story"),
                Commitment(member_id=BOB_A, session_id=his.id, text="mock interview"),
                # Bob's commitment made in Alice's conversation: his data, pointing at hers.
                Commitment(member_id=BOB_A, session_id=mine.id, text="pair with Alice"),
                StressScore(
                    member_id=ALICE_DM, iso_year=2026, iso_week=47, score=7, recorded_at=NOW
                ),
                StressScore(member_id=BOB_A, iso_year=2026, iso_week=47, score=3, recorded_at=NOW),
                MemberSchedule(
                    member_id=ALICE_A,
                    timezone="Europe/London",
                    weekday=4,
                    local_time="18:30",
                    next_due_utc=NOW,
                ),
                MemberSchedule(
                    member_id=BOB_A, timezone="UTC", weekday=0, local_time="09:00", next_due_utc=NOW
                ),
                OutboxMessage(
                    member_id=ALICE_A,
                    kind="debrief",
                    occurrence_key="2026-11-27",
                    due_at=NOW,
                    expires_at=NOW + timedelta(hours=6),
                    status="pending",
                    payload={"for": str(ALICE)},
                ),
                OutboxMessage(
                    member_id=BOB_A,
                    kind="debrief",
                    occurrence_key="2026-11-23",
                    due_at=NOW,
                    expires_at=NOW + timedelta(hours=6),
                    status="sent",
                    payload={},
                ),
                SafetyEvent(
                    member_id=ALICE_DM,
                    session_id=dm_talk.id,
                    concerns="self_harm",
                    rules="r1",
                    created_at=NOW,
                ),
                SafetyEvent(member_id=BOB_A, session_id=his.id, concerns="unsafe_home", rules="r2"),
            ]
        )
        # Office hours: Alice mentors (schedule, sitting, Bob's turn) and waits in the queue.
        weekly = OfficeHoursSchedule(
            guild_id=GUILD_A,
            channel_id=7,
            timezone="UTC",
            weekday=1,
            local_time="18:00",
            duration_minutes=60,
            next_open_utc=NOW,
            created_by_member_id=ALICE_A,
        )
        s.add(weekly)
        await s.flush()
        sitting = OfficeHours(
            guild_id=GUILD_A,
            channel_id=7,
            opened_by_member_id=ALICE_A,
            schedule_id=weekly.id,
            opened_at=NOW,
            closes_at=NOW + timedelta(hours=1),
        )
        s.add(sitting)
        await s.flush()
        s.add_all(
            [
                OfficeHoursEntry(
                    office_hours_id=sitting.id,
                    member_id=ALICE_A,
                    goal="my promotion",
                    joined_at=NOW,
                ),
                OfficeHoursEntry(
                    office_hours_id=sitting.id,
                    member_id=BOB_A,
                    mentor_member_id=ALICE_A,
                    status="called",
                    goal="two offers",
                    joined_at=NOW,
                    called_at=NOW,
                ),
                OfficeHoursReminder(member_id=ALICE_A),
                OfficeHoursReminder(member_id=BOB_A),
            ]
        )
    return ids


async def snapshot(
    sm: async_sessionmaker[AsyncSession], metadata: MetaData = Base.metadata
) -> Rows:
    """Every row of every table, keyed by primary key, values as the export writes them."""
    found: Rows = {}
    async with sm() as s:
        for table in metadata.sorted_tables:
            key = list(table.primary_key.columns)
            rows = (await s.execute(select(table))).mappings()
            found[table.name] = {
                tuple(row[c.name] for c in key): {k: jsonable(v) for k, v in row.items()}
                for row in rows
            }
    return found


def _token(value: int) -> re.Pattern[str]:
    return re.compile(rf"(?<!\d){value}(?!\d)")


def scan(rows: Rows, numbers: set[int]) -> set[tuple[str, tuple[Any, ...]]]:
    """Rows where any column holds one of the numbers: as an integer, or inside text or JSON."""
    patterns = [_token(n) for n in numbers]
    hits: set[tuple[str, tuple[Any, ...]]] = set()
    for table, by_key in rows.items():
        for key, row in by_key.items():
            for value in row.values():
                if isinstance(value, bool):
                    continue
                if isinstance(value, int):
                    found = value in numbers
                else:
                    text = value if isinstance(value, str) else json.dumps(value)
                    found = any(p.search(text) for p in patterns)
                if found:
                    hits.add((table, key))
    return hits


async def database_tables(sm: async_sessionmaker[AsyncSession]) -> set[str]:
    """Tables that really exist in the database file, whatever the models say."""
    async with sm() as s:
        conn = await s.connection()
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


ALICE_NUMBERS = {ALICE, ALICE_DM, ALICE_A, ALICE_B}


def test_every_table_is_covered_by_discovery_or_known_to_hold_no_member() -> None:
    discovery = Discovery(Base.metadata)
    tables = set(Base.metadata.tables)
    unexplained = tables - discovery.covered - UNRELATED
    assert not unexplained, (
        f"tables {sorted(unexplained)} are neither found by privacy discovery nor known to hold "
        "no member data: reference members.id with a foreign key, or add them to UNRELATED"
    )
    assert not (discovery.covered & UNRELATED)
    owned = [t.name for t in discovery.owned]
    assert owned[0] == "members"
    assert {"coaching_sessions", "turns", "outbox", "safety_events"} <= set(owned)
    # Turns reach members only through coaching_sessions.
    assert owned.index("turns") > owned.index("coaching_sessions")


async def test_export_holds_every_row_and_erase_leaves_no_trace(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ids = await seed(sessionmaker)
    service = PrivacyService(sessionmaker, clock=FixedClock(NOW))
    before = await snapshot(sessionmaker)
    assert await database_tables(sessionmaker) <= set(before) | {"alembic_version"}
    found_before = scan(before, ALICE_NUMBERS)
    assert {t for t, _ in found_before} >= set(Discovery(Base.metadata).covered) - {"turns"}

    exported = json.loads(json.dumps(await service.export(ALICE)))
    assert exported["user_id"] == ALICE
    assert exported["exported_at"] == NOW.isoformat()
    with_rows = {t for t, rows in exported["tables"].items() if rows} | set(exported["references"])
    missing = Discovery(Base.metadata).covered - with_rows
    assert not missing, f"seed() gives Alice no rows in {sorted(missing)}: add some there"

    exported_rows = {
        (table, tuple(row[c.name] for c in Base.metadata.tables[table].primary_key.columns)): row
        for table, rows in exported["tables"].items()
        for row in rows
    }
    pointing = {
        (table, tuple(row[c.name] for c in Base.metadata.tables[table].primary_key.columns))
        for table, rows in exported["references"].items()
        for row in rows
    }
    for table, key in found_before:
        assert (table, key) in exported_rows or (table, key) in pointing, (
            f"{table} {key} holds Alice's id but was not exported"
        )
    for (table, key), row in exported_rows.items():
        assert before[table][key] == row
    # Turns hold no id of hers; they are hers through her conversations.
    assert sorted(r["text"] for r in exported["tables"]["turns"]) == sorted(
        ["I want to lead", "I sleep badly", "What else?", "What else?"]
    )
    assert all(r["user_id"] == ALICE for r in exported["tables"]["members"]), (
        "another user's member row was exported"
    )
    bobs_pointer = exported["references"]["commitments"]
    assert bobs_pointer == [{"id": bobs_pointer[0]["id"], "session_id": ids["alice_session"]}]

    erasure = await service.erase(ALICE)
    assert erasure.deleted == {
        table: len(rows) for table, rows in exported["tables"].items() if rows
    }
    assert erasure.cleared == {
        "commitments": 1,
        "office_hours": 1,
        "office_hours_entries": 1,
        "office_hours_schedules": 1,
    }

    after = await snapshot(sessionmaker)
    assert scan(after, ALICE_NUMBERS) == set()
    expected = {
        table: {k: v for k, v in rows.items() if (table, k) not in exported_rows}
        for table, rows in before.items()
    }
    expected["commitments"][(bobs_pointer[0]["id"],)]["session_id"] = None
    for table, column in (
        ("office_hours", "opened_by_member_id"),
        ("office_hours_schedules", "created_by_member_id"),
        ("office_hours_entries", "mentor_member_id"),
    ):
        for row in expected[table].values():
            if row[column] == ALICE_A:
                row[column] = None
    assert after == expected  # Bob, the server set-up and the bot's state are untouched
    again = await service.export(ALICE)
    assert again["tables"] == {table: [] for table in exported["tables"]}
    assert again["references"] == {}


async def test_summary_counts_only_the_users_own_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await seed(sessionmaker)
    service = PrivacyService(sessionmaker)
    summary = await service.summary(ALICE)
    assert summary.counts == {
        "members": 3,
        "coaching_sessions": 2,
        "turns": 4,
        "goals": 1,
        "commitments": 2,
        "stress_scores": 1,
        "member_schedules": 1,
        "outbox": 1,
        "safety_events": 1,
        "office_hours_entries": 1,
        "office_hours_reminders": 1,
    }
    assert summary.references == {
        "commitments": 1,
        "office_hours": 1,
        "office_hours_entries": 1,
        "office_hours_schedules": 1,
    }
    assert summary.sharing == [Sharing(GUILD_A, False, False), Sharing(GUILD_B, False, False)]
    bob = await service.summary(BOB)
    assert bob.counts["members"] == 1
    assert bob.counts["commitments"] == 2
    assert bob.references == {}
    assert (await service.summary(123)).total == 0


async def test_share_in_a_server_changes_that_server_and_in_dms_every_server(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await seed(sessionmaker)
    service = PrivacyService(sessionmaker)
    changed = await service.share(
        ALICE, guild_id=GUILD_A, display_name="alice", progress=True, transcripts=None
    )
    assert changed == [Sharing(GUILD_A, True, False)]
    changed = await service.share(
        ALICE, guild_id=None, display_name="alice", progress=None, transcripts=True
    )
    assert changed == [Sharing(GUILD_A, True, True), Sharing(GUILD_B, False, True)]
    async with sessionmaker() as s:
        flags = (
            await s.execute(
                select(Member.id, Member.share_progress, Member.share_transcripts).order_by(
                    Member.id
                )
            )
        ).all()
    # The DM record is no server's to share, and Bob's choices are his own.
    assert flags == [
        (ALICE_DM, False, False),
        (ALICE_A, True, True),
        (ALICE_B, False, True),
        (BOB_A, False, False),
    ]


async def test_share_in_a_new_server_keeps_the_choice_and_dms_without_servers_change_nothing(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    service = PrivacyService(sessionmaker)
    assert (
        await service.share(
            ALICE, guild_id=None, display_name="alice", progress=True, transcripts=True
        )
        == []
    )
    assert (await service.summary(ALICE)).total == 0
    changed = await service.share(
        ALICE, guild_id=GUILD_B, display_name="alice", progress=True, transcripts=False
    )
    assert changed == [Sharing(GUILD_B, True, False)]
    assert (await service.summary(ALICE)).sharing == [Sharing(GUILD_B, True, False)]


async def test_new_tables_are_found_through_foreign_keys_and_user_columns(
    tmp_path: Any,
) -> None:
    """Tables another feature adds later are covered without naming them anywhere."""
    md = MetaData()
    members = Table(
        "members",
        md,
        Column("id", Integer, primary_key=True),
        Column("user_id", BigInteger, nullable=False),
    )
    slots = Table(  # a mentor's slot: kept for the server, the mentor only referenced
        "slots",
        md,
        Column("id", Integer, primary_key=True),
        Column("topic", String(40)),
        Column("mentor_id", ForeignKey("members.id", ondelete="SET NULL"), nullable=True),
    )
    entries = Table(  # a member's place in a queue
        "entries",
        md,
        Column("id", Integer, primary_key=True),
        Column("slot_id", ForeignKey("slots.id", ondelete="CASCADE"), nullable=False),
        Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        Column("prep", JSON),
    )
    notes = Table(  # two links away from members
        "notes",
        md,
        Column("id", Integer, primary_key=True),
        Column("entry_id", ForeignKey("entries.id"), nullable=False),
        Column("text", String(40)),
    )
    legacy = Table(
        "legacy",
        md,
        Column("id", Integer, primary_key=True),
        Column("owner_user_id", BigInteger, nullable=False),
    )
    audit = Table(
        "audit",
        md,
        Column("id", Integer, primary_key=True),
        Column("actor_user_id", BigInteger, nullable=True),
        Column("what", String(40)),
    )
    Table("settings", md, Column("key", String(10), primary_key=True))

    discovery = Discovery(md)
    assert [t.name for t in discovery.owned] == ["legacy", "members", "entries", "notes"]
    assert {(r.table.name, r.column.name) for r in discovery.references} == {
        ("audit", "actor_user_id"),
        ("slots", "mentor_id"),
    }
    assert discovery.covered == {"legacy", "members", "entries", "notes", "audit", "slots"}

    engine = create_engine(sqlite_url(tmp_path / "new.db"))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(md.create_all)
            await conn.execute(
                insert(members), [{"id": 1, "user_id": ALICE}, {"id": 2, "user_id": BOB}]
            )
            await conn.execute(
                insert(slots),
                [
                    {"id": 1, "topic": "alice runs", "mentor_id": 1},
                    {"id": 2, "topic": None, "mentor_id": 2},
                ],
            )
            await conn.execute(
                insert(entries),
                [
                    {"id": 1, "slot_id": 2, "member_id": 1, "prep": {"goal": "hers"}},
                    {"id": 2, "slot_id": 1, "member_id": 2, "prep": {"goal": "his"}},
                ],
            )
            await conn.execute(
                insert(notes),
                [
                    {"id": 1, "entry_id": 1, "text": "her note"},
                    {"id": 2, "entry_id": 2, "text": None},
                ],
            )
            await conn.execute(insert(legacy), [{"id": 1, "owner_user_id": ALICE}])
            await conn.execute(
                insert(audit),
                [
                    {"id": 1, "actor_user_id": ALICE, "what": "x"},
                    {"id": 2, "actor_user_id": BOB, "what": None},
                ],
            )
        sm = create_sessionmaker(engine)
        data = MemberData(sm, md, clock=FixedClock(NOW))
        exported = await data.export(ALICE)
        assert exported["tables"] == {
            "legacy": [{"id": 1, "owner_user_id": ALICE}],
            "members": [{"id": 1, "user_id": ALICE}],
            "entries": [{"id": 1, "slot_id": 2, "member_id": 1, "prep": {"goal": "hers"}}],
            "notes": [{"id": 1, "entry_id": 1, "text": "her note"}],
        }
        # Only the pointing column of rows that hold someone else's data.
        assert exported["references"] == {
            "slots": [{"id": 1, "mentor_id": 1}],
            "audit": [{"id": 1, "actor_user_id": ALICE}],
        }
        erasure = await data.erase(ALICE)
        assert erasure.deleted == {"legacy": 1, "members": 1, "entries": 1, "notes": 1}
        assert erasure.cleared == {"slots": 1, "audit": 1}
        after = await snapshot(sm, md)
        assert scan(after, {ALICE}) == set()
        assert after["slots"] == {
            (1,): {"id": 1, "topic": "alice runs", "mentor_id": None},
            (2,): {"id": 2, "topic": None, "mentor_id": 2},
        }
        assert list(after["entries"]) == [(2,)]
        assert list(after["notes"]) == [(2,)]
        assert list(after["members"]) == [(2,)]
        assert after["audit"][(2,)]["actor_user_id"] == BOB
    finally:
        await engine.dispose()


@pytest.fixture
def coaching(sessionmaker: async_sessionmaker[AsyncSession]) -> CoachingService:
    return CoachingService(sessionmaker, Catalogue.load(), clock=FixedClock(NOW))


async def test_a_turn_after_erasure_is_refused_and_brings_nothing_back(
    sessionmaker: async_sessionmaker[AsyncSession], coaching: CoachingService
) -> None:
    ref = MemberRef(guild_id=GUILD_A, user_id=ALICE, display_name="alice")
    turn = await coaching.start(ref, "grow")
    service = PrivacyService(sessionmaker)
    erasure = await service.erase(ALICE)
    assert erasure.deleted["coaching_sessions"] == 1
    with pytest.raises(NoOpenConversation, match="not found"):
        await coaching.reply(turn.session_id, ALICE, "I want to lead the platform team")
    with pytest.raises(NoOpenConversation):
        await coaching.latest_open_for_user(ALICE)
    assert scan(await snapshot(sessionmaker), {ALICE}) == set()
    assert (await service.summary(ALICE)).total == 0


async def test_erasure_waits_for_a_turn_in_flight_and_takes_its_rows_too(
    sessionmaker: async_sessionmaker[AsyncSession], coaching: CoachingService
) -> None:
    ref = MemberRef(guild_id=GUILD_A, user_id=ALICE, display_name="alice")
    turn = await coaching.start(ref, "grow")
    service = PrivacyService(sessionmaker)
    async with hold_writes(sessionmaker, ALICE):
        # The turn queues first at the write gate, the erasure right behind it.
        reply = asyncio.create_task(coaching.reply(turn.session_id, ALICE, "I want to lead"))
        await asyncio.sleep(0.05)
        erase = asyncio.create_task(service.erase(ALICE))
        await asyncio.sleep(0.05)
        assert not reply.done()
        assert not erase.done()
    answered = await reply
    erasure = await erase
    assert "lead" in answered.text
    # The first question, the member's answer and the coach's reply: none left behind.
    assert erasure.deleted["turns"] == len(turn.replies) + 1 + len(answered.replies)
    assert scan(await snapshot(sessionmaker), {ALICE}) == set()


async def test_a_turn_queued_behind_an_erasure_fails_gracefully(
    sessionmaker: async_sessionmaker[AsyncSession], coaching: CoachingService
) -> None:
    ref = MemberRef(guild_id=GUILD_A, user_id=ALICE, display_name="alice")
    turn = await coaching.start(ref, "grow")
    service = PrivacyService(sessionmaker)
    async with hold_writes(sessionmaker, ALICE):
        erase = asyncio.create_task(service.erase(ALICE))
        await asyncio.sleep(0.05)
        reply = asyncio.create_task(coaching.reply(turn.session_id, ALICE, "I want to lead"))
        await asyncio.sleep(0.05)
    await erase
    with pytest.raises(NoOpenConversation):
        await reply
    assert scan(await snapshot(sessionmaker), {ALICE}) == set()


def test_counts_and_erasures_read_as_words() -> None:
    assert words.count_phrase("coaching_sessions", 3) == "3 coaching conversations"
    assert words.count_phrase("turns", 1) == "1 message"
    assert words.count_phrase("office_hours_entries", 2) == "2 records in office hours entries"
    assert words.join_words(["a", "b", "c"]) == "a, b and c"
    erasure_text = words.erased_text(
        Erasure({"turns": 41, "members": 2, "coaching_sessions": 3}, {"commitments": 1})
    )
    assert erasure_text.startswith(
        "Done. I erased 2 member records, 3 coaching conversations, 41 messages and "
        "1 reference to you."
    )


def test_the_export_file_is_json_or_compressed_to_fit() -> None:
    data = {"tables": {"turns": [{"text": "x" * 2000}]}}
    name, raw = words.export_file(data, 10_000, date(2026, 11, 23))
    assert name == "mentorbot-my-data-2026-11-23.json"
    assert json.loads(raw) == data
    name, packed = words.export_file(data, 1_000, date(2026, 11, 23))
    assert name.endswith(".json.gz")
    assert json.loads(gzip.decompress(packed)) == data
    with pytest.raises(UserFacingError, match="larger than Discord"):
        words.export_file(data, 10, date(2026, 11, 23))


def test_show_fits_one_message_however_many_servers() -> None:
    summary = Summary(
        {"members": 13, "coaching_sessions": 2, "turns": 41, "office_hours_entries": 2},
        {"commitments": 1},
        [Sharing(g, g % 2 == 0, False) for g in range(1, 13)],
    )
    text = words.show_text(summary, lambda g: f"A server with a long long long name {g}" * 3)
    assert len(text) <= 2000
    assert "more servers." in text
    assert "• 2 records in office hours entries" in text
    assert "1 reference to you in records that belong to others (1 in commitments)" in text
    assert "progress shared, transcripts private" in text
    empty = words.show_text(Summary({}, {}, []), str)
    assert "Nothing at the moment." in empty
    assert "No server yet: everything is private." in empty

"""Safety alerts: the right resources, one alert per server, retried until it is posted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import SafetyEvent
from bot.db.uow import unit_of_work
from bot.domain.contract import Exchange, check_exchange
from bot.domain.frameworks import Catalogue
from bot.domain.safety import CRISIS_DEFAULT_RESOURCES
from bot.domain.state import ReplyKind
from bot.services.alerts import Alert, AlertRejected, SafetyAlerts
from bot.services.clock import FixedClock
from bot.services.coaching import CoachingService, MemberRef
from bot.services.guilds import GuildService
from bot.services.ports import TransientSendError
from tests.conversations import SCRIPTS

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SERVER, OTHER_SERVER = 10, 20
MENTORS, ALERTS = 11, 12
OTHER_MENTORS, OTHER_ALERTS = 21, 22
ALEX = MemberRef(guild_id=SERVER, user_id=555, display_name="Alex")
ALEX_IN_DMS = MemberRef(guild_id=0, user_id=555, display_name="Alex")
CRISIS = "honestly i dont want to be here anymore, i have been thinking about ending it"
WORDS = ("honestly", "anymore", "thinking", "ending")


class FakePort:
    """Records alerts; fails as told, per channel."""

    def __init__(self) -> None:
        self.posted: list[Alert] = []
        self.failures: dict[int, list[Exception]] = {}
        self.arrived = asyncio.Event()

    def fail(self, channel_id: int, *errors: Exception) -> None:
        self.failures.setdefault(channel_id, []).extend(errors)

    async def post(self, alert: Alert) -> None:
        queued = self.failures.get(alert.channel_id)
        if queued:
            raise queued.pop(0)
        self.posted.append(alert)
        self.arrived.set()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def alerts(sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock) -> SafetyAlerts:
    return SafetyAlerts(sessionmaker, Catalogue.load(), clock=clock)


@pytest.fixture
def port(alerts: SafetyAlerts) -> FakePort:
    port = FakePort()
    alerts.port = port  # delivered by hand in these tests; start() runs the loop
    return port


@pytest.fixture
def service(
    sessionmaker: async_sessionmaker[AsyncSession], alerts: SafetyAlerts, clock: FixedClock
) -> CoachingService:
    return CoachingService(sessionmaker, Catalogue.load(), clock=clock, alerts=alerts)


async def set_up(
    sessionmaker: async_sessionmaker[AsyncSession],
    guild_id: int = SERVER,
    resources: str | None = "Call 988, or text HOME to 741741",
) -> None:
    mentors, channel = (MENTORS, ALERTS) if guild_id == SERVER else (OTHER_MENTORS, OTHER_ALERTS)
    await GuildService(sessionmaker).configure(
        guild_id, mentor_role_id=mentors, alerts_channel_id=channel, crisis_resources=resources
    )


async def flag(service: CoachingService, member: MemberRef = ALEX) -> int:
    turn = await service.start(member, "grow")
    flagged = await service.reply(turn.session_id, member.user_id, CRISIS)
    assert flagged.safety
    return turn.session_id


async def events(sessionmaker: async_sessionmaker[AsyncSession]) -> list[SafetyEvent]:
    async with sessionmaker() as s:
        return list((await s.execute(select(SafetyEvent).order_by(SafetyEvent.id))).scalars())


async def test_a_server_member_gets_its_resources_and_mentors_get_one_alert(
    service: CoachingService,
    alerts: SafetyAlerts,
    port: FakePort,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await set_up(sessionmaker)
    turn = await service.start(ALEX, "grow")
    flagged = await service.reply(turn.session_id, ALEX.user_id, CRISIS)
    assert [r.kind for r in flagged.replies] == [ReplyKind.SAFETY]
    assert "Call 988, or text HOME to 741741" in flagged.text
    assert CRISIS_DEFAULT_RESOURCES not in flagged.text
    assert "letting a mentor" in flagged.text
    assert "not an emergency service" in flagged.text
    assert check_exchange(Exchange(CRISIS, flagged.replies)) == []

    assert await alerts.deliver_pending() == 1
    (alert,) = port.posted
    assert alert.channel_id == ALERTS
    assert alert.ping_role_id == MENTORS
    assert f"<@{ALEX.user_id}>" in alert.content
    assert "Alex" in alert.content
    assert f"<@&{MENTORS}>" in alert.content
    assert f"<t:{int(NOW.timestamp())}:f>" in alert.content
    assert "thoughts of suicide" in alert.content
    assert "GROW" in alert.content
    assert "reach out to them privately" in alert.content
    assert not any(word in alert.content.lower() for word in WORDS)
    (event,) = await events(sessionmaker)
    assert event.alerted_at == NOW

    assert await alerts.deliver_pending() == 0
    assert len(port.posted) == 1  # sent once


async def test_a_failed_post_is_retried_and_still_sent_once(
    service: CoachingService,
    alerts: SafetyAlerts,
    port: FakePort,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await set_up(sessionmaker)
    await flag(service)
    port.fail(ALERTS, TransientSendError("HTTP 503"), TransientSendError("HTTP 429"))
    assert await alerts.deliver_pending() == 0
    assert (await events(sessionmaker))[0].alerted_at is None
    assert await alerts.deliver_pending() == 0
    assert await alerts.deliver_pending() == 1
    assert await alerts.deliver_pending() == 0
    assert len(port.posted) == 1
    assert (await events(sessionmaker))[0].alerted_at == NOW


async def test_a_dm_conversation_alerts_every_server_of_the_member_once(
    service: CoachingService,
    alerts: SafetyAlerts,
    port: FakePort,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await set_up(sessionmaker, SERVER, "Call 988")
    await set_up(sessionmaker, OTHER_SERVER, "Call 116 123")
    for guild in (SERVER, OTHER_SERVER):  # a record in each server, from a command there
        await service.start(MemberRef(guild, ALEX.user_id, "Alex"), "grow")
    turn = await service.start(ALEX_IN_DMS, "grow")
    flagged = await service.reply(turn.session_id, ALEX.user_id, CRISIS)
    assert "Call 988" in flagged.text
    assert "Call 116 123" in flagged.text
    assert "letting a mentor" in flagged.text

    port.fail(OTHER_ALERTS, TransientSendError("HTTP 500"))
    assert await alerts.deliver_pending() == 0
    assert [a.channel_id for a in port.posted] == [ALERTS]
    assert await alerts.deliver_pending() == 1
    assert sorted(a.channel_id for a in port.posted) == [ALERTS, OTHER_ALERTS]
    assert all("direct-message conversation" in a.content for a in port.posted)
    assert {a.ping_role_id for a in port.posted} == {MENTORS, OTHER_MENTORS}


async def test_without_a_set_up_the_default_resources_and_no_promise(
    service: CoachingService, alerts: SafetyAlerts, port: FakePort
) -> None:
    turn = await service.start(ALEX_IN_DMS, "grow")
    flagged = await service.reply(turn.session_id, ALEX.user_id, CRISIS)
    assert CRISIS_DEFAULT_RESOURCES in flagged.text
    assert "mentor" not in flagged.text
    assert await alerts.deliver_pending() == 0
    assert port.posted == []


async def test_without_alerts_wired_no_mentor_is_promised_but_resources_are_the_servers(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    await set_up(sessionmaker, resources="Call 988")
    console = CoachingService(sessionmaker, Catalogue.load(), clock=clock)
    turn = await console.start(ALEX, "grow")
    flagged = await console.reply(turn.session_id, ALEX.user_id, CRISIS)
    assert "Call 988" in flagged.text
    assert "mentor" not in flagged.text


async def test_a_channel_that_refuses_is_left_alone_for_ten_minutes(
    service: CoachingService,
    alerts: SafetyAlerts,
    port: FakePort,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_up(sessionmaker)
    await flag(service)
    port.fail(ALERTS, AlertRejected("HTTP 403 code 50001"), AlertRejected("HTTP 403 code 50001"))
    assert await alerts.deliver_pending() == 0
    assert await alerts.deliver_pending() == 0
    assert port.posted == []
    assert len(port.failures[ALERTS]) == 1  # tried once only
    assert "check the alerts channel" in caplog.text
    assert (await events(sessionmaker))[0].alerted_at is None
    clock.advance(timedelta(minutes=11))
    assert await alerts.deliver_pending() == 0  # refused again
    clock.advance(timedelta(minutes=11))
    assert await alerts.deliver_pending() == 1  # an administrator fixed the channel
    assert len(port.posted) == 1


async def test_events_older_than_a_day_are_not_alerted(
    service: CoachingService,
    alerts: SafetyAlerts,
    port: FakePort,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await set_up(sessionmaker)
    await flag(service)
    async with unit_of_work(sessionmaker) as s:
        await s.execute(update(SafetyEvent).values(created_at=NOW - timedelta(hours=25)))
    assert await alerts.deliver_pending() == 0
    assert port.posted == []


async def test_the_running_loop_posts_as_soon_as_a_message_is_flagged(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    alerts = SafetyAlerts(sessionmaker, Catalogue.load(), clock=clock, retry_every=60)
    service = CoachingService(sessionmaker, Catalogue.load(), clock=clock, alerts=alerts)
    await set_up(sessionmaker)
    port = FakePort()
    alerts.start(port)
    try:
        await asyncio.sleep(0.05)  # the first pass found nothing
        await flag(service)
        async with asyncio.timeout(5):  # well before the 60-second retry
            await port.arrived.wait()
    finally:
        await alerts.stop()
    assert len(port.posted) == 1


async def test_im_fine_keeps_the_resources_in_reach_and_the_member_carries_on(
    service: CoachingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await set_up(sessionmaker, resources="Call 988")
    turn = await service.start(ALEX, "grow")
    asked = turn.replies[-1].text
    await service.reply(turn.session_id, ALEX.user_id, CRISIS)
    back = await service.reply(turn.session_id, ALEX.user_id, "I'm fine")
    assert back.status == "active"
    assert not back.safety
    assert back.replies[0].kind is ReplyKind.NOTICE
    assert "Call 988" in back.replies[0].text
    assert back.replies[-1].text == asked  # the same question, nothing was taken as an answer
    assert check_exchange(Exchange("I'm fine", back.replies)) == []
    carried = await service.reply(turn.session_id, ALEX.user_id, SCRIPTS["grow"][0])
    assert carried.stage_id == "reality"
    assert "Call 988" not in carried.text  # said once on return, not on every turn after


async def test_resume_and_end_after_a_safety_pause_repeat_the_resources(
    service: CoachingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await set_up(sessionmaker, resources="Call 988")
    session_id = await flag(service)
    resumed = await service.resume(session_id, ALEX.user_id)
    assert "Call 988" in resumed.replies[0].text
    assert resumed.replies[0].text.startswith("Welcome back")
    session_id = await flag(service)
    ended = await service.reply(session_id, ALEX.user_id, "end")
    assert ended.status == "ended"
    assert "Call 988" in ended.replies[-1].text

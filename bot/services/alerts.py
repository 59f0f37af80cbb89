"""Safety alerts in each server's alerts channel: who and when, never what was said."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import CoachingSession, Member, SafetyEvent
from bot.db.uow import unit_of_work
from bot.domain.frameworks import Catalogue
from bot.services.clock import Clock, SystemClock
from bot.services.guilds import GuildService, GuildSetup
from bot.services.ports import TransientSendError

log = logging.getLogger(__name__)

NO_GUILD = 0
# Events older than this are not alerted any more: a mentor hearing days later helps little,
# and events stored before alerts existed must not all arrive at once.
PENDING_WINDOW = timedelta(hours=24)
RETRY_SECONDS = 30.0
# A channel that refused (missing access, deleted) is tried again after this: an
# administrator may fix the permissions or the set-up in the meantime.
REFUSED_PAUSE = timedelta(minutes=10)
CONCERN_WORDS = {
    "suicide": "thoughts of suicide",
    "self_harm": "self-harm",
    "unsafe_at_home": "not being safe at home",
    "harm_to_others": "possibly harming someone else",
}


@dataclass(frozen=True)
class Alert:
    """One message for a server's alerts channel."""

    channel_id: int
    content: str
    ping_role_id: int | None
    nonce: str


class AlertRejected(Exception):
    """Discord will never take this alert (no access to the channel, channel gone)."""


class AlertPort(Protocol):
    """Post an alert; raise TransientSendError to try again later, AlertRejected to stop."""

    async def post(self, alert: Alert) -> None:
        """Post one alert; a repeat with the same nonce must not show twice."""
        ...


async def alert_targets(setups: GuildService, guild_id: int, user_id: int) -> list[GuildSetup]:
    """The servers whose mentors hear about a member: theirs, or for DMs every one they're in."""
    if guild_id != NO_GUILD:
        setup = await setups.get(guild_id)
        return [] if setup is None else [setup]
    return await setups.setups_for_user(user_id)


def resources_of(targets: Sequence[GuildSetup]) -> str | None:
    """The crisis resources of these servers, each once; None for the built-in default."""
    distinct = list(dict.fromkeys(t.resources for t in targets))
    return "\n\n".join(distinct) if distinct else None


def _plain(name: str) -> str:
    """A display name that cannot format or mention anything in the alert."""
    cleaned = "".join(c for c in name if c not in "`*_~|<>@#\\")
    return " ".join(cleaned.split())[:64] or "a member"


def compose(
    setup: GuildSetup,
    *,
    event_id: int,
    user_id: int,
    display_name: str,
    at: datetime,
    concerns: Sequence[str],
    framework: str | None,
    in_dm: bool,
) -> Alert:
    """Write the alert: the member, the time, the kind of concern and what to do; no quote."""
    stamp = int(at.timestamp())
    worry = ", ".join(CONCERN_WORDS.get(c, c.replace("_", " ")) for c in concerns) or "a crisis"
    where = "a direct-message conversation with me" if in_dm else "a coaching conversation"
    if framework:
        where += f" ({framework})"
    content = (
        f"**Safety alert** <@&{setup.mentor_role_id}>\n"
        f"<@{user_id}> ({_plain(display_name)}) wrote something in {where} on <t:{stamp}:f> "
        f"(<t:{stamp}:R>) that my safety screen flagged as {worry}.\n"
        "I paused the coaching, told them I am not an emergency service, and gave them crisis "
        "resources.\n"
        "Please reach out to them privately and soon: ask how they are and listen. Their "
        "message is not quoted here and stays private to them."
    )
    return Alert(setup.alerts_channel_id, content, setup.mentor_role_id, f"safety-{event_id}")


@dataclass(frozen=True)
class _Pending:
    event_id: int
    user_id: int
    guild_id: int
    display_name: str
    created_at: datetime
    concerns: tuple[str, ...]
    framework_id: str | None


class SafetyAlerts:
    """Deliver every flagged event's alert once, retrying what failed until it is posted."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        catalogue: Catalogue,
        *,
        setups: GuildService | None = None,
        clock: Clock | None = None,
        retry_every: float = RETRY_SECONDS,
    ) -> None:
        self._sm = sessionmaker
        self._catalogue = catalogue
        self.setups = setups or GuildService(sessionmaker)
        self._clock = clock or SystemClock()
        self._retry_every = retry_every
        self.port: AlertPort | None = None
        # (event, channel) pairs already posted, so a retry of an event that reached one
        # server of several does not post there again, and pairs Discord refused for good.
        self._posted: set[tuple[int, int]] = set()
        self._refused: dict[tuple[int, int], datetime] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pass = asyncio.Lock()

    @property
    def ready(self) -> bool:
        """Say whether alerts can reach a channel from this process."""
        return self.port is not None

    def start(self, port: AlertPort) -> None:
        """Deliver through this port from now on, at once when woken and every retry period."""
        self.port = port
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="safety-alerts")

    async def stop(self) -> None:
        """Stop the delivery loop."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Ask for a delivery pass now: a new event was stored."""
        self._wake.set()

    async def _run(self) -> None:
        # The first pass runs at once: events a stopped process left unalerted go out first.
        while True:
            self._wake.clear()
            try:
                await self.deliver_pending()
            except Exception:  # a failed pass is logged; the next one tries again
                log.exception("safety alert pass failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._retry_every):
                    await self._wake.wait()

    async def deliver_pending(self) -> int:
        """Post the alerts of recent events not yet alerted; return how many were completed."""
        if self.port is None:
            return 0
        async with self._pass:
            done = 0
            for event in await self._pending():
                if await self._deliver(self.port, event):
                    done += 1
            return done

    async def _pending(self) -> list[_Pending]:
        since = self._clock.now() - PENDING_WINDOW
        async with self._sm() as s:
            rows = await s.execute(
                select(SafetyEvent, Member, CoachingSession.framework_id)
                .join(Member, Member.id == SafetyEvent.member_id)
                .outerjoin(CoachingSession, CoachingSession.id == SafetyEvent.session_id)
                .where(SafetyEvent.alerted_at.is_(None), SafetyEvent.created_at >= since)
                .order_by(SafetyEvent.id)
            )
            return [
                _Pending(
                    event_id=event.id,
                    user_id=member.user_id,
                    guild_id=member.guild_id,
                    display_name=member.display_name,
                    created_at=event.created_at,
                    concerns=tuple(c for c in event.concerns.split(",") if c),
                    framework_id=framework_id,
                )
                for event, member, framework_id in rows.all()
            ]

    async def _deliver(self, port: AlertPort, event: _Pending) -> bool:
        """Post to every target not yet reached; mark the event once none is left to retry."""
        targets = await alert_targets(self.setups, event.guild_id, event.user_id)
        if not targets:
            return False  # no server to tell (yet): checked again on the next pass
        posted = False
        for setup in targets:
            key = (event.event_id, setup.alerts_channel_id)
            refused_at = self._refused.get(key)
            if refused_at is not None and self._clock.now() - refused_at < REFUSED_PAUSE:
                continue
            if key in self._posted:
                posted = True
                continue
            alert = compose(
                setup,
                event_id=event.event_id,
                user_id=event.user_id,
                display_name=event.display_name,
                at=event.created_at,
                concerns=event.concerns,
                framework=self._title(event.framework_id),
                in_dm=event.guild_id == NO_GUILD,
            )
            try:
                await port.post(alert)
            except TransientSendError:
                log.warning(
                    "safety alert for event %s to server %s failed; retrying later",
                    event.event_id,
                    setup.guild_id,
                )
                return False
            except AlertRejected as exc:
                log.error(
                    "safety alert for event %s cannot be posted in server %s (%s); check the "
                    "alerts channel in /setup",
                    event.event_id,
                    setup.guild_id,
                    exc,
                )
                self._refused[key] = self._clock.now()
                continue
            self._posted.add(key)
            posted = True
            log.info(
                "safety alert for event %s posted in server %s for member %s",
                event.event_id,
                setup.guild_id,
                event.user_id,
            )
        if posted:
            await self._mark(event.event_id)
            self._posted = {k for k in self._posted if k[0] != event.event_id}
            self._refused = {k: t for k, t in self._refused.items() if k[0] != event.event_id}
        return posted

    async def _mark(self, event_id: int) -> None:
        async with unit_of_work(self._sm) as s:
            await s.execute(
                update(SafetyEvent)
                .where(SafetyEvent.id == event_id, SafetyEvent.alerted_at.is_(None))
                .values(alerted_at=self._clock.now())
            )

    def _title(self, framework_id: str | None) -> str | None:
        if framework_id is None or framework_id not in self._catalogue:
            return None
        return self._catalogue.get(framework_id).title

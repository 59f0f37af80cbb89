"""Coaching conversations: the dialogue engine joined to storage, for any adapter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import outbox
from bot.db import repositories as repo
from bot.db.models import CoachingSession, Member
from bot.db.uow import unit_of_work
from bot.domain import dialogue
from bot.domain.dates import local_date, local_now
from bot.domain.frameworks import PLACEHOLDER_RE, Catalogue, Framework, Store
from bot.domain.safety import Screen, safety_message, safety_reminder, screen
from bot.domain.state import Phase, Reply, ReplyKind, SessionState, Stored, TurnResult
from bot.errors import NoOpenConversation, StaleAction, UnknownFramework
from bot.observability import events
from bot.services.alerts import SafetyAlerts, alert_targets, resources_of
from bot.services.clock import Clock, SystemClock
from bot.services.guilds import GuildService
from bot.services.llm import ModelCoach, voice_turn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemberRef:
    """Who is talking: a Discord member (guild 0 for DMs and the console)."""

    guild_id: int
    user_id: int
    display_name: str


@dataclass(frozen=True)
class Current:
    """The question a conversation is waiting on, and the turn that shows it."""

    question: str
    turn: CoachTurn


@dataclass(frozen=True)
class CoachTurn:
    """What an adapter renders after one turn."""

    session_id: int
    framework_id: str
    framework_title: str
    stage_id: str
    stage_title: str
    step: int
    steps: int
    replies: list[Reply]
    done: bool
    status: str
    safety: bool = False
    turn_no: int = 0
    expects: str = "text"
    choices: list[tuple[str, str]] = field(default_factory=list)
    stored: list[Stored] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All replies as one message."""
        return "\n\n".join(r.text for r in self.replies)


class CoachingService:
    """Start, continue, pause and end coaching conversations."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        catalogue: Catalogue,
        *,
        clock: Clock | None = None,
        default_timezone: str = "UTC",
        model: ModelCoach | None = None,
        alerts: SafetyAlerts | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.catalogue = catalogue
        self._clock = clock or SystemClock()
        self._default_tz = default_timezone
        # Optional: without a model the built-in questions are used as they are.
        self.model = model
        # Optional: without alerts (the console) the safety reply promises no mentor.
        self.alerts = alerts
        self._setups = alerts.setups if alerts is not None else GuildService(sessionmaker)
        # One turn at a time per conversation, so two quick messages cannot overwrite each other.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def _serial(self, session_id: int | None) -> AsyncIterator[None]:
        """One turn at a time per conversation, counted for shutdown."""
        self._busy += 1
        self._idle.clear()
        lock = self._lock(session_id) if session_id is not None else contextlib.nullcontext()
        try:
            async with lock:
                yield
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    @contextlib.asynccontextmanager
    async def _turn(self, session_id: int | None) -> AsyncIterator[AsyncSession]:
        """One turn: the conversation's lock, a unit of work, and a count for shutdown."""
        async with self._serial(session_id), unit_of_work(self._sessionmaker) as s:
            yield s

    def _read(self) -> AsyncSession:
        """A session for reading only: WAL lets reads run beside the queued writes."""
        return self._sessionmaker()

    async def drain(self) -> None:
        """Wait until no turn is in progress (callers bound the wait)."""
        await self._idle.wait()

    def framework(self, framework_id: str, *, listed_only: bool = False) -> Framework:
        """Return a framework by id or raise a member-readable error."""
        known = self.catalogue.ids() if listed_only else self.catalogue
        if framework_id not in known:
            raise UnknownFramework(framework_id, self.catalogue.ids())
        return self.catalogue.get(framework_id)

    def _lock(self, session_id: int) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session_id] = lock
        return lock

    def _zone(self, member: Member) -> str:
        return member.timezone or self._default_tz

    def _ctx(self, member: Member) -> dialogue.Context:
        return dialogue.Context(today=local_date(self._clock.now(), self._zone(member)))

    async def start(
        self,
        ref: MemberRef,
        framework_id: str,
        *,
        topic: str | None = None,
        channel_id: int | None = None,
        extra_facts: Mapping[str, str] | None = None,
        by_bot: bool = False,
    ) -> CoachTurn:
        """Open a new conversation and return its first question.

        Members may start only listed frameworks; the bot itself (`by_bot`) may start any.
        """
        fw = self.framework(framework_id, listed_only=not by_bot)
        async with self._serial(None):
            turn: CoachTurn | None = None
            async with unit_of_work(self._sessionmaker) as s:
                member = await repo.get_or_create_member(
                    s, guild_id=ref.guild_id, user_id=ref.user_id, display_name=ref.display_name
                )
                if not by_bot:
                    # A member using a command again may receive scheduled DMs again.
                    await outbox.mark_dms_open(s, member.id)
                facts = {**(await self._facts(s, fw, member)), **(extra_facts or {})}
                if topic:
                    facts["topic"] = topic.strip()[:200]
                result = dialogue.start(
                    fw, self._ctx(member), facts=facts, seed=secrets.randbelow(1 << 30)
                )
                screened = screen(topic or "")
                if screened.flagged:
                    result = dialogue.hold(result.state, await self._safety_reply(member))
                if screened.flagged or not topic or self.model is None:
                    turn = await self._open(s, fw, member, topic, channel_id, result, screened)
            if turn is None and self.model is not None:
                # A topic to reflect: the model is asked with no transaction open.
                result = await voice_turn(self.model, fw, result, topic or "", member_id=member.id)
                turn = await self._open_apart(fw, member, topic, channel_id, result, screened)
            if screened.flagged:
                self._alert()
            assert turn is not None
            return turn

    async def _open_apart(
        self,
        fw: Framework,
        member: Member,
        topic: str | None,
        channel_id: int | None,
        result: TurnResult,
        screened: Screen,
    ) -> CoachTurn:
        """Store a new conversation in a transaction of its own."""
        async with unit_of_work(self._sessionmaker) as s:
            return await self._open(s, fw, member, topic, channel_id, result, screened)

    async def _open(
        self,
        s: AsyncSession,
        fw: Framework,
        member: Member,
        topic: str | None,
        channel_id: int | None,
        result: TurnResult,
        screened: Screen,
    ) -> CoachTurn:
        """Store a new conversation with its first turn."""
        cs = await repo.create_session(
            s,
            member_id=member.id,
            framework_id=fw.id,
            framework_version=fw.version,
            topic=topic,
            stage_id=result.state.stage_id,
            state=result.state.model_dump(mode="json"),
            channel_id=channel_id,
        )
        await self._record(s, cs, None, result)
        if screened.flagged:
            await self._store_flag(s, member, cs, screened)
        events.conversation_started(fw.id, member_id=member.id, session_id=cs.id)
        return self._view(fw, cs.id, result)

    async def reply(
        self, session_id: int, member_user_id: int, text: str, *, turn_no: int | None = None
    ) -> CoachTurn:
        """Take the member's message in a conversation and return the coach's turn.

        With `turn_no` (from a button or menu) the message only counts if the conversation is
        still at that turn, so a press on an old message cannot answer a newer question.
        """
        async with self._serial(session_id):
            if self.model is None:
                # Nothing slow to wait for: the turn is worked out inside its transaction.
                async with unit_of_work(self._sessionmaker) as s:
                    cs, member, fw, state = await self._load(s, session_id, member_user_id)
                    result, screened = await self._work_out(fw, state, member, text, turn_no)
                    await self._store_turn(s, cs, member, text, result, screened)
            else:
                # The model may take seconds: read, ask it with no transaction open, then write.
                async with self._read() as s:
                    _cs, member, fw, state = await self._load(s, session_id, member_user_id)
                result, screened = await self._work_out(fw, state, member, text, turn_no)
                async with unit_of_work(self._sessionmaker) as s:
                    cs, member, fw, stored = await self._load(s, session_id, member_user_id)
                    if stored.turns != state.turns:
                        raise StaleAction()  # another process took this turn meanwhile
                    await self._store_turn(s, cs, member, text, result, screened)
            if screened.flagged:
                self._alert()
            if result.done and not state.finished:
                events.conversation_finished(
                    fw.id, result.state.status.value, member_id=member.id, session_id=cs.id
                )
            return self._view(fw, cs.id, result)

    async def _work_out(
        self,
        fw: Framework,
        state: SessionState,
        member: Member,
        text: str,
        turn_no: int | None,
    ) -> tuple[TurnResult, Screen]:
        """The coach's turn for a message, worded by the model where it may be."""
        if turn_no is not None and turn_no != state.turns:
            raise StaleAction()
        # Screened before any coaching logic: a flagged message gets the safety reply only.
        screened = screen(text)
        if screened.flagged:
            return dialogue.hold(state, await self._safety_reply(member)), screened
        result = dialogue.respond(fw, state, text, self._ctx(member))
        if state.held:
            result = await self._keep_help_in_reach(member, result)
        elif self.model is not None and (result.done or dialogue.command_of(text) is None):
            # Answers, and the summary however the conversation ends; never commands.
            result = await voice_turn(self.model, fw, result, text, member_id=member.id)
        return result, screened

    async def _store_turn(
        self,
        s: AsyncSession,
        cs: CoachingSession,
        member: Member,
        text: str,
        result: TurnResult,
        screened: Screen,
    ) -> None:
        """Keep the message, the turn, the new state, anything stored and any safety event."""
        if screened.flagged:
            await self._store_flag(s, member, cs, screened)
        await self._record(s, cs, text, result)
        await self._keep(s, cs, member, result)

    async def _store_flag(
        self, s: AsyncSession, member: Member, cs: CoachingSession, screened: Screen
    ) -> None:
        """Store the event (concerns and rules only) at this service's time, and count it."""
        event = await repo.add_safety_event(
            s, member_id=member.id, session_id=cs.id, screen=screened
        )
        # The alert shows this time; it comes from the same clock as everything else.
        event.created_at = self._clock.now()
        events.safety_flagged(
            screened.concerns, screened.matched, member_id=member.id, session_id=cs.id
        )

    async def _safety_reply(self, member: Member) -> str:
        """The safety response with the right resources; it promises a mentor only if one hears.

        A server conversation uses that server's set-up; a DM or console one uses the set-ups
        of every server where the member has a record.
        """
        targets = await alert_targets(self._setups, member.guild_id, member.user_id)
        told = bool(targets) and self.alerts is not None
        return safety_message(resources_of(targets), mentors_told=told)

    async def _keep_help_in_reach(self, member: Member, result: TurnResult) -> TurnResult:
        """After a safety pause, whatever comes next carries the crisis resources again."""
        targets = await alert_targets(self._setups, member.guild_id, member.user_id)
        resources = resources_of(targets)
        replies = list(result.replies)
        if replies and replies[0] == Reply(ReplyKind.NOTICE, dialogue.RESUME_TEXT):
            replies[0] = Reply(ReplyKind.NOTICE, safety_reminder(resources, resuming=True))
        else:
            replies.append(Reply(ReplyKind.NOTICE, safety_reminder(resources, resuming=False)))
        return TurnResult(result.state, replies, result.stored)

    def _alert(self) -> None:
        """Have the mentors told now; a failed post is retried by the alerts' own loop."""
        if self.alerts is not None:
            self.alerts.wake()

    async def resume(self, session_id: int, member_user_id: int) -> CoachTurn:
        """Reopen a paused conversation at the question where it stopped."""
        async with self._turn(session_id) as s:
            cs, member, fw, state = await self._load(s, session_id, member_user_id)
            result = dialogue.resume(fw, state)
            if state.held:
                result = await self._keep_help_in_reach(member, result)
            await self._record(s, cs, None, result)
            return self._view(fw, cs.id, result)

    async def command(
        self, session_id: int, member_user_id: int, command: str, *, turn_no: int | None = None
    ) -> CoachTurn:
        """Apply a button press (skip, back, pause, end) as if the member had typed it."""
        if command not in {"skip", "pause", "end", "back"}:
            raise ValueError(f"not a conversation command: {command}")
        return await self.reply(session_id, member_user_id, command, turn_no=turn_no)

    async def current(self, session_id: int, member_user_id: int) -> Current:
        """The question the conversation waits on, without changing anything."""
        async with self._read() as s:
            cs, _member, fw, state = await self._load(s, session_id, member_user_id, lock=False)
            if state.finished:
                raise NoOpenConversation("That conversation has finished.")
            replies = [Reply(ReplyKind.QUESTION, state.last_question)]
            turn = self._view(fw, cs.id, TurnResult(state, replies))
            return Current(state.last_question, turn)

    async def set_channel(self, session_id: int, member_user_id: int, channel_id: int) -> None:
        """Record the channel where the conversation is held."""
        async with self._turn(session_id) as s:
            cs, _member, _fw, _state = await self._load(s, session_id, member_user_id)
            await repo.set_session_channel(s, cs, channel_id)

    async def active_conversation(self, user_id: int) -> CoachingSession | None:
        """The user's conversation that is under way (not paused), in any server."""
        async with self._read() as s:
            found = await repo.user_sessions(s, user_id, statuses=("active",))
            return found[0] if found else None

    async def latest_open_for_user(self, user_id: int) -> CoachingSession:
        """The user's most recent active or paused conversation, in any server."""
        async with self._read() as s:
            found = await repo.user_sessions(s, user_id)
        if not found:
            raise NoOpenConversation()
        return found[0]

    async def open_in_channel(self, user_id: int, channel_id: int) -> CoachingSession | None:
        """The user's open conversation held in this channel, if any."""
        async with self._read() as s:
            found = await repo.user_sessions(s, user_id, channel_id=channel_id)
            return found[0] if found else None

    async def latest_open(self, ref: MemberRef, framework_id: str | None = None) -> CoachingSession:
        """The member's newest open conversation, optionally of one framework."""
        async with self._read() as s:
            member = await repo.find_member(s, guild_id=ref.guild_id, user_id=ref.user_id)
            found = None
            if member is not None:
                found = await repo.latest_open_session(s, member.id, framework_id)
            if found is None:
                raise NoOpenConversation()
            return found

    async def _load(
        self, s: AsyncSession, session_id: int, member_user_id: int, *, lock: bool = True
    ) -> tuple[CoachingSession, Member, Framework, SessionState]:
        cs = await repo.get_session(s, session_id)
        member = await repo.get_member(s, cs.member_id) if cs is not None else None
        if lock and cs is not None and member is not None:
            # The in-process lock cannot stop another process; the row locks can.
            locked = await repo.lock_conversation(s, cs)
            cs, member = locked if locked is not None else (None, None)
        if cs is None or member is None or member.user_id != member_user_id:
            # Someone else's session is reported as missing, so ids reveal nothing.
            raise NoOpenConversation("That conversation was not found.")
        fw = self.framework(cs.framework_id)
        return cs, member, fw, SessionState.model_validate(cs.state)

    async def _facts(self, s: AsyncSession, fw: Framework, member: Member) -> dict[str, str]:
        """Facts from earlier weeks that a framework's questions may use."""
        facts: dict[str, str] = {"name": member.display_name}
        wanted = {stage.only_if for stage in fw.stages} | _slots(fw)
        if "fact_last_action" in wanted and (
            last := await repo.latest_open_commitment_from(s, member.id, fw.id)
        ):
            facts["fact_last_action"] = last.text
        if "fact_last_score" in wanted and (history := await repo.stress_history(s, member.id, 1)):
            facts["fact_last_score"] = str(history[-1].score)
        return facts

    async def _record(
        self, s: AsyncSession, cs: CoachingSession, said: str | None, result: TurnResult
    ) -> None:
        """Keep the transcript and the new state."""
        stage_id = result.state.stage_id
        lines: list[tuple[str, str, str, str | None]] = []
        if said is not None:
            lines.append(("member", "message", said, cs.stage_id))
        lines.extend(("coach", r.kind.value, r.text, stage_id) for r in result.replies)
        await repo.add_turns(s, cs.id, lines)
        await repo.save_session(
            s,
            cs,
            state=result.state.model_dump(mode="json"),
            stage_id=stage_id,
            status=result.state.status.value,
        )

    async def _keep(
        self, s: AsyncSession, cs: CoachingSession, member: Member, result: TurnResult
    ) -> None:
        """Store goals, commitments and scores once the conversation closes."""
        for item in result.stored:
            if item.store is Store.GOAL:
                await repo.add_goal(s, member_id=member.id, session_id=cs.id, text=item.value.text)
            elif item.store is Store.COMMITMENT:
                await repo.add_commitment(
                    s,
                    member_id=member.id,
                    session_id=cs.id,
                    text=item.value.text,
                    due_date=item.value.due,
                )
            elif item.store is Store.STRESS_SCORE and item.value.score is not None:
                await repo.record_stress_score(
                    s,
                    member_id=member.id,
                    session_id=cs.id,
                    score=item.value.score,
                    at=local_now(self._clock.now(), self._zone(member)),
                )
            elif item.store is Store.OUTCOME:
                commitment_id = result.state.facts.get("fact_commitment_id", "")
                if commitment_id.isdigit():
                    await repo.record_outcome(
                        s, int(commitment_id), member_id=member.id, note=item.value.text
                    )

    def _view(self, fw: Framework, session_id: int, result: TurnResult) -> CoachTurn:
        step, steps = dialogue.progress(fw, result.state)
        stage = fw.stage(result.state.stage_id)
        # What the next message should be: a probe always takes free text.
        expects = "text" if result.state.phase is Phase.PROBE else stage.capture.kind.value
        return CoachTurn(
            session_id=session_id,
            framework_id=fw.id,
            framework_title=fw.title,
            stage_id=stage.id,
            stage_title=stage.title,
            step=step,
            steps=steps,
            replies=result.replies,
            done=result.done,
            status=result.state.status.value,
            turn_no=result.state.turns,
            safety=any(r.kind is ReplyKind.SAFETY for r in result.replies),
            expects=expects,
            choices=[(o.id, o.label) for o in stage.capture.options],
            stored=result.stored,
        )


def _slots(fw: Framework) -> set[str]:
    return {
        slot for stage in fw.stages for q in stage.questions for slot in PLACEHOLDER_RE.findall(q)
    }

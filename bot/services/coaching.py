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
from bot.domain.safety import safety_message, screen
from bot.domain.state import Phase, Reply, ReplyKind, SessionState, Stored, TurnResult
from bot.errors import NoOpenConversation, StaleAction, UnknownFramework
from bot.services.clock import Clock, SystemClock

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
    ) -> None:
        self._sessionmaker = sessionmaker
        self.catalogue = catalogue
        self._clock = clock or SystemClock()
        self._default_tz = default_timezone
        self.crisis_resources: str | None = None
        # One turn at a time per conversation, so two quick messages cannot overwrite each other.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def _turn(self, session_id: int | None) -> AsyncIterator[AsyncSession]:
        """One turn: the conversation's lock, a unit of work, and a count for shutdown."""
        self._busy += 1
        self._idle.clear()
        lock = self._lock(session_id) if session_id is not None else contextlib.nullcontext()
        try:
            async with lock, unit_of_work(self._sessionmaker) as s:
                yield s
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

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
        async with self._turn(None) as s:
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
                result = dialogue.hold(result.state, self._safety_reply())
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
                await repo.add_safety_event(
                    s, member_id=member.id, session_id=cs.id, screen=screened
                )
            return self._view(fw, cs.id, result)

    async def reply(
        self, session_id: int, member_user_id: int, text: str, *, turn_no: int | None = None
    ) -> CoachTurn:
        """Take the member's message in a conversation and return the coach's turn.

        With `turn_no` (from a button or menu) the message only counts if the conversation is
        still at that turn, so a press on an old message cannot answer a newer question.
        """
        async with self._turn(session_id) as s:
            cs, member, fw, state = await self._load(s, session_id, member_user_id)
            if turn_no is not None and turn_no != state.turns:
                raise StaleAction()
            # Screened before any coaching logic: a flagged message gets the safety reply only.
            screened = screen(text)
            if screened.flagged:
                result = dialogue.hold(state, self._safety_reply())
                await repo.add_safety_event(
                    s, member_id=member.id, session_id=cs.id, screen=screened
                )
                log.warning(
                    "safety screen flagged a message from member %s (%s)",
                    member.id,
                    ", ".join(screened.matched),
                )
            else:
                result = dialogue.respond(fw, state, text, self._ctx(member))
            await self._record(s, cs, text, result)
            await self._keep(s, cs, member, result)
            return self._view(fw, cs.id, result)

    def _safety_reply(self) -> str:
        """The safety response; it promises a mentor only once alerts can reach one."""
        return safety_message(self.crisis_resources, mentors_told=False)

    async def resume(self, session_id: int, member_user_id: int) -> CoachTurn:
        """Reopen a paused conversation at the question where it stopped."""
        async with self._turn(session_id) as s:
            cs, _member, fw, state = await self._load(s, session_id, member_user_id)
            result = dialogue.resume(fw, state)
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
            cs, _member, fw, state = await self._load(s, session_id, member_user_id)
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
        self, s: AsyncSession, session_id: int, member_user_id: int
    ) -> tuple[CoachingSession, Member, Framework, SessionState]:
        cs = await repo.get_session(s, session_id)
        member = await repo.get_member(s, cs.member_id) if cs is not None else None
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

"""The console adapter: a coaching conversation in a terminal, on the bot's own services."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from bot.config import Settings
from bot.errors import UserFacingError
from bot.services.coaching import CoachingService, CoachTurn, MemberRef
from bot.services.llm import ModelCoach

CONSOLE_GUILD = 0


def console_member(name: str) -> MemberRef:
    """Map a console name to a member: digits are a Discord user id, other names a stable id."""
    name = name.strip() or "console"
    if name.isdigit():
        return MemberRef(guild_id=CONSOLE_GUILD, user_id=int(name), display_name=name)
    # A stable id per name, kept clear of real Discord snowflakes by the top bit pattern.
    digest = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
    return MemberRef(guild_id=CONSOLE_GUILD, user_id=digest >> 2, display_name=name)


@contextlib.asynccontextmanager
async def optional_model(settings: Settings) -> AsyncIterator[ModelCoach | None]:
    """The model the settings turn on, the same as the bot's, closed afterwards; else None."""
    model = ModelCoach.from_settings(settings)
    try:
        yield model
    finally:
        if model is not None:
            await model.aclose()


class ConsoleChat:
    """Drive one conversation from lines of text, writing the coach's turns."""

    def __init__(self, service: CoachingService, out: TextIO, *, as_json: bool) -> None:
        self._service = service
        self._out = out
        self._json = as_json

    def _emit(self, turn: CoachTurn) -> None:
        if self._json:
            record = {
                "text": turn.text,
                "stage": turn.stage_id,
                "stage_title": turn.stage_title,
                "step": turn.step,
                "steps": turn.steps,
                "done": turn.done,
                "status": turn.status,
                "safety": turn.safety,
                "framework": turn.framework_id,
                "session_id": turn.session_id,
                "replies": [{"kind": r.kind.value, "text": r.text} for r in turn.replies],
            }
            self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            header = f"[{turn.framework_title} · {turn.stage_title} · {turn.step}/{turn.steps}]"
            if turn.done:
                header = f"[{turn.framework_title} · {turn.status}]"
            self._out.write(f"\n{header}\n{turn.text}\n")
        self._out.flush()

    def _prompt(self) -> None:
        if not self._json and sys.stdin.isatty():
            self._out.write("> ")
            self._out.flush()

    async def run(
        self,
        member: MemberRef,
        framework_id: str,
        lines: AsyncIterator[str],
        *,
        resume: bool = False,
        topic: str | None = None,
    ) -> int:
        """Hold the conversation until it is done or the input ends; return an exit code."""
        try:
            if resume:
                open_one = await self._service.latest_open(member, framework_id)
                turn = await self._service.resume(open_one.id, member.user_id)
            else:
                turn = await self._service.start(member, framework_id, topic=topic)
        except UserFacingError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        self._emit(turn)
        while not turn.done:
            self._prompt()
            line = await anext(lines, None)
            if line is None:
                # Input ran out mid-way: keep the conversation so --resume can pick it up.
                if turn.status != "paused":
                    turn = await self._service.reply(turn.session_id, member.user_id, "pause")
                    self._emit(turn)
                return 0
            if not line.strip():
                continue
            turn = await self._service.reply(turn.session_id, member.user_id, line.rstrip("\n"))
            self._emit(turn)
            if turn.status == "paused":
                return 0
        return 0


async def stdin_lines() -> AsyncIterator[str]:
    """Yield lines from standard input without blocking the event loop."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line

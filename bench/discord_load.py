"""Drive many members through coaching conversations at once, end to end on the fake Discord.

Usage: python bench/discord_load.py [--members 200] [--framework grow|all|<id>] [--timeout 100]
                                    [--no-spec]

The real MentorBot runs against FakeDiscord on 127.0.0.1, with a SQLite file in a temporary
folder and every request checked against Discord's OpenAPI spec when the spec file is there.
All members run `/coach start` at the same moment; then each types its scripted answers one
after another (tests/conversations.py), all members at once.

- acknowledgement: the fake's clock from sending INTERACTION_CREATE to the bot's callback
  arriving (Exchange.elapsed); the fake accepts late callbacks so a slow one is measured, and
  any over Discord's 3 seconds is counted as a deadline miss;
- first question: from sending the interaction to the fake answering the bot's DM post;
- turn: from sending the DM's MESSAGE_CREATE to the fake answering the bot's reply post.

The fake, the bot and the members share one event loop, as in the end-to-end tests, so the
times include the fake's own work; `--no-spec` leaves the spec checks out to show their share.
The exit status is 1 on any deadline miss, error or spec violation.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dialogue_turn import percentile
from tests.conversations import SCRIPTS
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import make_bot
from tests.e2e.payloads import Json
from tests.e2e.recording import RecordedRequest
from tests.e2e.spec import SpecUnavailableError, SpecValidator, spec_path

DEADLINE = 3.0
# The fake takes callbacks this late, so a slow acknowledgement is timed instead of lost.
ACK_WAIT = 30.0
STEP_WAIT = 30.0
QUIET = 0.25
T = TypeVar("T")


@dataclass
class Figures:
    """What the members measured (times in seconds) and what the fake saw."""

    acks: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    finished: int = 0
    wall: float = 0.0
    requests: int = 0
    violations: list[str] = field(default_factory=list)
    spec: Path | None = None


class LogCount(logging.Handler):
    """Count the warnings and errors the bot and discord.py log during the run."""

    def __init__(self) -> None:
        """Count from WARNING up."""
        super().__init__(logging.WARNING)
        self.levels: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record by level."""
        self.levels[record.levelname] += 1


class LoadMember:
    """One member: start a conversation, then answer every question by typing in the DM."""

    def __init__(self, fake: FakeDiscord, user: Json, framework: str) -> None:
        """Remember who types what; the DM channel is the one the fake gives the bot."""
        self.fake = fake
        self.user = user
        self.framework = framework
        self.replies_path = f"/channels/{fake.dm_channel_id(user)}/messages"

    async def converse(self, figures: Figures) -> None:
        """Run the whole conversation; a failure is recorded, never raised."""
        name = f"{self.user['username']} ({self.framework})"
        try:
            await self._converse(figures)
        except Exception as exc:  # one member's failure must not stop the others
            figures.errors.append(f"{name}: {exc}")

    async def _converse(self, figures: Figures) -> None:
        fake = self.fake
        payload = fake.make_slash_interaction(
            self.user,
            fake.guild_id,
            fake.channel_id,
            "coach",
            {"framework": self.framework},
            subcommand="start",
        )
        ack, first, took = await self._reply_to(fake.interact(payload, timeout=ACK_WAIT))
        figures.acks.append(ack.elapsed)
        figures.firsts.append(took)
        self._check(first, final=False)
        # The confirmation comes after the DM channel is saved; typing earlier could race it.
        await ack.next_webhook(STEP_WAIT)
        script = SCRIPTS[self.framework]
        for i, answer in enumerate(script):
            message = fake.make_dm_message(self.user, answer)
            _, reply, took = await self._reply_to(fake.dispatch("MESSAGE_CREATE", message))
            figures.turns.append(took)
            self._check(reply, final=i == len(script) - 1)
        figures.finished += 1

    async def _reply_to(self, send: Awaitable[T]) -> tuple[T, RecordedRequest, float]:
        """Send something; return its result, the bot's next DM post, and the seconds between."""
        loop = asyncio.get_running_loop()
        answered: list[float] = []

        def is_reply(request: RecordedRequest) -> bool:
            # Runs when the fake records its answer, so the time is taken right there.
            if request.method == "POST" and request.path == self.replies_path:
                answered.append(loop.time())
                return True
            return False

        log = self.fake.requests
        waiter = asyncio.ensure_future(log.wait_for(is_reply, STEP_WAIT, start=len(log)))
        await asyncio.sleep(0)  # the waiter registers before anything is sent
        started = loop.time()
        try:
            result = await send
            found = await waiter
        finally:
            waiter.cancel()
        return result, found, answered[0] - started

    def _check(self, reply: RecordedRequest, *, final: bool) -> None:
        """Fail unless the bot posted a coach turn (its header line), the last one finished."""
        content = (reply.json or {}).get("content") or ""
        header = content.split("\n", 1)[0]
        if reply.status != 200 or not header.startswith("-# "):
            raise AssertionError(f"unexpected reply {reply.status}: {content[:80]!r}")
        if final and "finished" not in header:
            raise AssertionError(f"the last answer did not finish the conversation: {header!r}")


def load_validator() -> SpecValidator | None:
    """Return the spec validator, or None when the spec file is absent."""
    try:
        return SpecValidator.load()
    except SpecUnavailableError:
        return None


async def settle(fake: FakeDiscord, limit: float) -> None:
    """Wait until the bot has sent nothing for a moment, so it is not closed mid-send."""
    loop = asyncio.get_running_loop()
    until = loop.time() + limit
    seen = -1
    while len(fake.requests) != seen and loop.time() < until:
        seen = len(fake.requests)
        await asyncio.sleep(QUIET)


async def run(
    members: int, frameworks: list[str], budget: float, logs: LogCount, *, spec: bool = True
) -> Figures:
    """Run the load and return the figures."""
    validator = load_validator() if spec else None
    figures = Figures(spec=spec_path() if validator else None)
    fake = FakeDiscord(validator=validator, ack_deadline=ACK_WAIT)
    users = []
    for i in range(members):
        user = fake.add_user(f"member{i:04d}")
        # In the guild before the bot connects, so GUILD_CREATE lists every member.
        fake.state.member_of(fake.guild_id, user["id"])
        users.append(user)
    with tempfile.TemporaryDirectory(prefix="discord-load-") as tmp:
        async with fake, BotRunner(fake) as runner:
            await runner.start(make_bot(fake, Path(tmp)), timeout=30.0)
            logs.levels.clear()  # start-up notices (no voice support) are not load problems
            crowd = [
                LoadMember(fake, user, frameworks[i % len(frameworks)])
                for i, user in enumerate(users)
            ]
            started = time.perf_counter()
            tasks = [asyncio.create_task(m.converse(figures)) for m in crowd]
            _, late = await asyncio.wait(tasks, timeout=budget)
            figures.wall = time.perf_counter() - started
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            cut_off = sum(1 for task in late if task.cancelled())
            if cut_off:
                figures.errors.append(f"{cut_off} members still talking after {budget:g} s")
            await settle(fake, 5.0)
    figures.violations = fake.violation_report()
    figures.requests = len(fake.requests)
    return figures


def ms(values: list[float]) -> str:
    """Format median, p99 and max of a list of seconds in milliseconds."""
    if not values:
        return "no samples"
    median = statistics.median(values) * 1000
    p99 = percentile(values, 99) * 1000
    return f"median {median:.1f}  p99 {p99:.1f}  max {max(values) * 1000:.1f}"


def main() -> None:
    """Parse arguments, run the load, print the figures and exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--framework", default="grow", choices=["all", *SCRIPTS])
    parser.add_argument("--timeout", type=float, default=100.0, help="seconds for the members")
    parser.add_argument("--no-spec", action="store_true", help="skip the fake's spec checks")
    args = parser.parse_args()
    frameworks = list(SCRIPTS) if args.framework == "all" else [args.framework]
    logs = LogCount()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().addHandler(logs)

    figures = asyncio.run(run(args.members, frameworks, args.timeout, logs, spec=not args.no_spec))
    misses = sum(1 for a in figures.acks if a > DEADLINE)
    wall = figures.wall
    if figures.spec:
        checked = f"checked against {figures.spec}"
    elif args.no_spec:
        checked = "NOT checked: --no-spec"
    else:
        checked = f"NOT checked: no spec at {spec_path()}"
    print(f"members           {args.members} (frameworks: {', '.join(frameworks)})")
    print(f"interactions      {len(figures.acks)} acknowledged")
    print(f"ack ms            {ms(figures.acks)}")
    print(f"first question ms {ms(figures.firsts)}")
    print(f"turn ms           {ms(figures.turns)}")
    print(f"turns             {len(figures.turns)} ({figures.finished} conversations finished)")
    print(f"wall time         {wall:.2f} s, {len(figures.turns) / wall:.1f} turns/s")
    print(f"REST requests     {figures.requests}")
    print(f"deadline misses   {misses} (acks over {DEADLINE:.0f} s)")
    print(f"errors            {len(figures.errors)}")
    for error in figures.errors[:10]:
        print(f"  {error}")
    print(f"log warnings      {logs.levels['WARNING']}, errors {logs.levels['ERROR']}")
    print(f"spec violations   {len(figures.violations)} ({checked})")
    for violation in figures.violations[:10]:
        print(f"  {violation}")
    failed = misses or figures.errors or figures.violations or logs.levels["ERROR"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

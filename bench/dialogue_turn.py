"""Time one dialogue turn, database commit included, with 1,000 members in conversation.

Usage: python bench/dialogue_turn.py [--members 1000] [--concurrency 1,50]

Every member opens a conversation (frameworks in rotation); then, round by round, each member
sends the next scripted answer. With concurrency 1 the turns are interleaved one at a time
(service time of a turn); with a higher figure that many turns are in flight at once, as when
many members type together, so the time includes waiting for SQLite's single writer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade
from bot.domain.frameworks import SHIPPED, Catalogue
from bot.services.coaching import CoachingService, MemberRef
from tests.conversations import SCRIPTS


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def run(members: int, concurrency: int, folder: Path) -> dict[str, float]:
    """Run every member's conversation and return the turn-time figures in milliseconds."""
    url = f"sqlite+aiosqlite:///{(folder / f'bench-{concurrency}.db').as_posix()}"
    await upgrade(url)
    engine = create_engine(url)
    service = CoachingService(create_sessionmaker(engine), Catalogue.load())
    refs = [MemberRef(guild_id=1, user_id=10_000 + i, display_name=f"m{i}") for i in range(members)]
    frameworks = [SHIPPED[i % len(SHIPPED)] for i in range(members)]
    sessions = []
    for ref, fw in zip(refs, frameworks, strict=True):
        sessions.append((await service.start(ref, fw)).session_id)

    timings: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def turn(i: int, answer: str) -> None:
        async with gate:
            started = time.perf_counter()
            await service.reply(sessions[i], refs[i].user_id, answer)
            timings.append((time.perf_counter() - started) * 1000)

    wall = time.perf_counter()
    rounds = max(len(s) for s in SCRIPTS.values())
    for r in range(rounds):
        batch = [turn(i, SCRIPTS[fw][r]) for i, fw in enumerate(frameworks) if r < len(SCRIPTS[fw])]
        await asyncio.gather(*batch)
    wall = time.perf_counter() - wall
    await engine.dispose()
    return {
        "turns": len(timings),
        "median_ms": statistics.median(timings),
        "p99_ms": percentile(timings, 99),
        "max_ms": max(timings),
        "turns_per_s": len(timings) / wall,
    }


def main() -> None:
    """Parse arguments, run each concurrency level and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--concurrency", default="1,50", help="comma-separated levels")
    args = parser.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]
    print(f"{args.members} members, frameworks {', '.join(SHIPPED)}, SQLite file (WAL)")
    with tempfile.TemporaryDirectory() as tmp:
        for level in levels:
            figures = asyncio.run(run(args.members, level, Path(tmp)))
            print(
                f"concurrency {level:>4}: {figures['turns']:.0f} turns, "
                f"median {figures['median_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms, "
                f"max {figures['max_ms']:.2f} ms, {figures['turns_per_s']:.0f} turns/s"
            )


if __name__ == "__main__":
    main()

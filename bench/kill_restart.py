"""SIGKILL the bot at random moments while it sends 10,000 debriefs; count what arrived.

Usage: python bench/kill_restart.py [--members 10000] [--kills 5] [--rate 45]

A loopback fake Discord (127.0.0.1) holds the DM channels and enforces nonces as Discord
does. The bot runs as a real `mentorbot run` process; it is killed with SIGKILL `--kills`
times while sending, then one last run finishes. Every occurrence must end sent exactly
once (or undeliverable or expired): the script exits non-zero on any loss or duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.fake import FakeDiscord
from tests.e2e.killer import run_with_kills
from tests.e2e.spec import SpecUnavailableError, SpecValidator


async def main(members: int, kills: int, rate: float) -> int:
    """Run the kills and print the counts; return the exit code."""
    try:
        validator: SpecValidator | None = SpecValidator.load()
    except SpecUnavailableError:
        validator = None
    async with FakeDiscord(validator=validator) as fake:
        # A few answers get lost after the message was created, as on a flaky network.
        fake.fail_next("POST", r"/channels/\d+/messages$", 500, lose_response=True, times=5)
        with tempfile.TemporaryDirectory() as tmp:
            report = await run_with_kills(
                fake, Path(tmp), members, kills=kills, rate=rate, timeout=members / rate * 3 + 120
            )
        violations = len(fake.violation_report())
    settled = sum(n for status, n in report.statuses.items() if status != "pending")
    print(f"members {members}, kills {report.kills}, send rate {rate}/s, {report.seconds:.1f} s")
    print(f"outbox: {report.statuses}")
    print(f"members who got their DM: {report.delivered_users}")
    print(
        f"duplicate DMs: {report.duplicate_messages}, "
        f"resends absorbed by nonce: {report.nonce_dedups}"
    )
    print(f"spec violations: {violations if validator else 'spec not found, not checked'}")
    lost = members - report.delivered_users - report.statuses.get("undeliverable", 0)
    ok = (
        settled == members
        and report.duplicate_messages == 0
        and lost <= report.statuses.get("expired", 0)
    )
    print("PASS" if ok and not violations else "FAIL")
    return 0 if ok and not violations else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--rate", type=float, default=45.0)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.members, args.kills, args.rate)))

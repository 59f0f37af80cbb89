"""Many members joining office hours within seconds, end to end on the fake Discord.

Usage: python bench/officehours_join.py [--members 300] [--within 10] [--no-spec]

The real MentorBot runs against FakeDiscord on 127.0.0.1 with a SQLite file in a temporary
folder, every request checked against Discord's OpenAPI spec when the spec file is there. A
mentor opens office hours; then each member, at an even spread over `--within` seconds, presses
Join on the card and submits the prep form at once (nobody types slowly in a benchmark).

- acknowledgement: the fake's clock from sending INTERACTION_CREATE to the bot's callback, for
  the press (answered with the form) and the submit (deferred, then the place follows); any
  over Discord's 3 seconds is a deadline miss;
- place: from sending the submit to the fake answering the bot's followup with the place;
- order: the queue in the database against the order the submits went out on the gateway,
  and each member's reported place against their rank in that order.

The fake, the bot and the members share one event loop, so the times include the fake's own
work. The exit status is 1 on any deadline miss, error, order mismatch or spec violation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from bench.discord_load import LogCount, load_validator, ms, settle
from bot.client import MentorBot
from bot.db.engine import create_sessionmaker
from bot.db.models import Member, OfficeHoursEntry
from bot.ui.officehours import CARD_GAP
from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.member import find_custom_id, make_bot
from tests.e2e.payloads import Json
from tests.e2e.spec import spec_path

DEADLINE = 3.0
ACK_WAIT = 30.0  # the fake takes callbacks this late, so a slow one is timed instead of lost
PLACE = re.compile(r"^You're (\d+)(?:st|nd|rd|th) in the queue")
FORM = "ohjoin:"


@dataclass
class Figures:
    """What the members measured (seconds) and what the fake and the database saw."""

    press_acks: list[float] = field(default_factory=list)
    submit_acks: list[float] = field(default_factory=list)
    places: list[float] = field(default_factory=list)
    reported: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    gateway_order: list[str] = field(default_factory=list)
    queue_order: list[str] = field(default_factory=list)
    card_edits: int = 0
    card_shows: str = ""
    wall: float = 0.0
    requests: int = 0
    violations: list[str] = field(default_factory=list)
    spec: Path | None = None


async def member_joins(
    fake: FakeDiscord, user: Json, card: Json, delay: float, figures: Figures
) -> None:
    """Wait for this member's moment, press Join, submit the form, wait for the place."""
    await asyncio.sleep(delay)
    try:
        join_id = find_custom_id(card, r":join$")
        press = fake.make_component_interaction(user, card, join_id)
        opened = await fake.interact(press, timeout=ACK_WAIT)
        figures.press_acks.append(opened.elapsed)
        if opened.type != 9:
            raise AssertionError(f"Join was answered with type {opened.type}, not the form")
        values = {"goal": f"Help with my CV, from {user['username']}", "tried": "A template"}
        submit = fake.make_modal_submit(opened.record.payload, values)
        loop = asyncio.get_running_loop()
        sent = loop.time()
        ack = await fake.interact(submit, timeout=ACK_WAIT)
        figures.submit_acks.append(ack.elapsed)
        placed = await ack.next_webhook(timeout=ACK_WAIT)
        figures.places.append(loop.time() - sent)
        found = PLACE.match((placed.json or {}).get("content", ""))
        if placed.status != 200 or found is None:
            raise AssertionError(f"unexpected place reply: {placed.json}")
        figures.reported[user["id"]] = int(found[1])
    except Exception as exc:  # one member's failure must not stop the others
        figures.errors.append(f"{user['username']}: {exc}")


def submits_in_gateway_order(fake: FakeDiscord) -> list[str]:
    """The users whose join forms reached the bot, in the gateway's sequence order."""
    users = []
    for session in fake.gateway.sessions.values():
        for _, frame in sorted(session.history):
            event = json.loads(frame)
            data = event.get("d") or {}
            custom_id = str((data.get("data") or {}).get("custom_id", ""))
            if event.get("t") == "INTERACTION_CREATE" and custom_id.startswith(FORM):
                users.append(data["member"]["user"]["id"])
    return users


async def queue_in_database(bot: MentorBot) -> list[str]:
    """The users in the queue, in queue (entry id) order."""
    assert bot.engine is not None
    async with create_sessionmaker(bot.engine)() as s:
        found = await s.execute(
            select(Member.user_id)
            .join(OfficeHoursEntry, OfficeHoursEntry.member_id == Member.id)
            .order_by(OfficeHoursEntry.id)
        )
        return [str(user_id) for user_id in found.scalars()]


async def open_card(fake: FakeDiscord, mentor: Json, bot: MentorBot) -> Json:
    """Set the server up, have the mentor open office hours, and return the card."""
    role = next(r for r in fake.state.guilds[fake.guild_id].roles if r["name"] == "Mentors")
    channel = fake.channel_named("general")["id"]
    await bot.setups.configure(
        int(fake.guild_id),
        mentor_role_id=int(role["id"]),
        alerts_channel_id=int(channel),
        crisis_resources=None,
    )
    start = len(fake.requests)
    payload = fake.make_slash_interaction(
        mentor, fake.guild_id, channel, "officehours", {"duration": "2h"}, subcommand="open"
    )
    await fake.interact(payload)
    posted = await fake.wait_for_request(
        lambda r: r.matches("POST", rf"/channels/{channel}/messages$"), 10, start=start
    )
    card = fake.state.find_message(posted.response["id"])
    assert card is not None
    return card


async def card_settles(fake: FakeDiscord, card: Json, expected: str) -> None:
    """Wait (a few seconds at most) for the card to show what it should."""
    for _ in range(int(CARD_GAP * 3 / 0.05)):
        shown = fake.state.find_message(card["id"])
        if shown is not None and expected in shown["content"]:
            return
        await asyncio.sleep(0.05)


async def run(members: int, within: float, logs: LogCount, *, spec: bool) -> Figures:
    """Run the rush and return the figures."""
    validator = load_validator() if spec else None
    figures = Figures(spec=spec_path() if validator else None)
    fake = FakeDiscord(validator=validator, ack_deadline=ACK_WAIT)
    mentor = fake.add_user("mentor")
    fake.add_role(fake.guild_id, "Mentors", members=[mentor])
    users = []
    for i in range(members):
        user = fake.add_user(f"member{i:04d}")
        fake.state.member_of(fake.guild_id, user["id"])
        users.append(user)
    with tempfile.TemporaryDirectory(prefix="officehours-join-") as tmp:
        async with fake, BotRunner(fake) as runner:
            bot = await runner.start(make_bot(fake, Path(tmp)), timeout=30.0)
            logs.levels.clear()  # start-up notices (no voice support) are not load problems
            card = await open_card(fake, mentor, bot)
            spacing = within / members
            started = time.perf_counter()
            await asyncio.gather(
                *(member_joins(fake, u, card, i * spacing, figures) for i, u in enumerate(users))
            )
            figures.wall = time.perf_counter() - started
            await settle(fake, 5.0)
            # Card edits are spaced out; give the last one its turn before reading the card.
            await card_settles(fake, card, f"Waiting: {members} people.")
            figures.gateway_order = submits_in_gateway_order(fake)
            figures.queue_order = await queue_in_database(bot)
            shown = fake.state.find_message(card["id"])
            figures.card_shows = shown["content"].splitlines()[-2] if shown else ""
            edits = rf"/channels/{card['channel_id']}/messages/{card['id']}$"
            figures.card_edits = sum(1 for r in fake.requests if r.matches("PATCH", edits))
    figures.violations = fake.violation_report()
    figures.requests = len(fake.requests)
    return figures


def main() -> None:
    """Parse arguments, run the rush, print the figures and exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--within", type=float, default=10.0, help="seconds the joins spread over")
    parser.add_argument("--no-spec", action="store_true", help="skip the fake's spec checks")
    args = parser.parse_args()
    logs = LogCount()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().addHandler(logs)

    figures = asyncio.run(run(args.members, args.within, logs, spec=not args.no_spec))
    acks = figures.press_acks + figures.submit_acks
    misses = sum(1 for a in acks if a > DEADLINE)
    in_order = figures.queue_order == figures.gateway_order and len(figures.queue_order) == (
        args.members
    )
    rank = {user: n for n, user in enumerate(figures.gateway_order, start=1)}
    wrong_places = sum(1 for user, place in figures.reported.items() if rank.get(user) != place)
    if figures.spec:
        checked = f"checked against {figures.spec}"
    elif args.no_spec:
        checked = "NOT checked: --no-spec"
    else:
        checked = f"NOT checked: no spec at {spec_path()}"
    print(f"members            {args.members}, joining over {args.within:g} s")
    print(f"interactions       {len(acks)} acknowledged ({len(figures.press_acks)} Join presses, "
          f"{len(figures.submit_acks)} form submits)")  # fmt: skip
    print(f"ack ms (all)       {ms(acks)}")
    print(f"ack ms (Join)      {ms(figures.press_acks)}")
    print(f"ack ms (submit)    {ms(figures.submit_acks)}")
    print(f"place reply ms     {ms(figures.places)}")
    print(f"deadline misses    {misses} (acks over {DEADLINE:.0f} s)")
    print(f"queued             {len(figures.queue_order)}; in submit order: {in_order}")
    print(f"places reported    {len(figures.reported)}; wrong: {wrong_places}")
    print(f"card               {figures.card_shows!r} after {figures.card_edits} edits")
    print(f"wall time          {figures.wall:.2f} s")
    print(f"REST requests      {figures.requests}")
    print(f"errors             {len(figures.errors)}")
    for error in figures.errors[:10]:
        print(f"  {error}")
    print(f"log warnings       {logs.levels['WARNING']}, errors {logs.levels['ERROR']}")
    print(f"spec violations    {len(figures.violations)} ({checked})")
    for violation in figures.violations[:10]:
        print(f"  {violation}")
    failed = (
        misses
        or figures.errors
        or not in_order
        or wrong_places
        or figures.violations
        or logs.levels["ERROR"]
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

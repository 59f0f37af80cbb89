"""Fixtures for loopback end-to-end tests: a fake Discord and a runner for real bots."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.e2e.fake import FakeDiscord
from tests.e2e.harness import BotRunner
from tests.e2e.spec import SpecUnavailableError, SpecValidator, spec_path


def _load_validator() -> SpecValidator | None:
    try:
        return SpecValidator.load()
    except SpecUnavailableError:
        return None


@pytest.fixture
def spec_validator() -> SpecValidator:
    """Return the OpenAPI validator, skipping the test when the spec file is absent."""
    validator = _load_validator()
    if validator is None:
        pytest.skip(f"Discord OpenAPI spec not found at {spec_path()}; spec checks skipped")
    return validator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a plain HTTP session for calling the fake without discord.py."""
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """Run a FakeDiscord; fail at teardown if the client sent any invalid request."""
    fake = FakeDiscord(validator=_load_validator())
    async with fake:
        yield fake
    report = fake.violation_report()
    if report:
        pytest.fail("requests that break Discord's API contract:\n" + "\n".join(report))


@pytest.fixture
async def run_bot(fake_discord: FakeDiscord) -> AsyncIterator[BotRunner]:
    """Point discord.py at the fake; `await run_bot.start(bot)` returns a ready bot."""
    async with BotRunner(fake_discord) as runner:
        yield runner

"""Autocomplete for frameworks and time zones, called as discord.py would call it."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.client import MentorBot
from bot.config import Settings
from bot.services.coaching import MemberRef


async def prepared_bot(tmp_path: Path) -> MentorBot:
    bot = MentorBot(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    await bot.prepare()
    return bot


def interaction(user_id: int = 42) -> Any:
    return SimpleNamespace(user=SimpleNamespace(id=user_id))


async def test_framework_autocomplete_matches_id_or_title(tmp_path: Path) -> None:
    bot = await prepared_bot(tmp_path)
    try:
        # load_extension imports the module afresh, so compare by name, not by class.
        cog: Any = bot.get_cog("Coaching")
        assert type(cog).__name__ == "Coaching"
        every = await cog.framework_autocomplete(interaction(), "")
        assert [c.value for c in every] == bot.catalogue.ids()
        star = await cog.framework_autocomplete(interaction(), "star")
        assert [c.value for c in star] == ["star_story"]
        assert "commitment_checkin" not in [c.value for c in every]
    finally:
        assert bot.engine is not None
        await bot.engine.dispose()


async def test_zone_autocomplete_matches_cities_and_offers_the_last_zone_first(
    tmp_path: Path,
) -> None:
    bot = await prepared_bot(tmp_path)
    try:
        cog: Any = bot.get_cog("Debrief")
        assert type(cog).__name__ == "Debrief"
        found = await cog.zone_autocomplete(interaction(), "new york")
        assert found[0].value == "America/New_York"
        ref = MemberRef(guild_id=1, user_id=42, display_name="x")
        await bot.schedules.set_weekly(ref, weekday=0, local_time=time(9), timezone="Asia/Kolkata")
        empty = await cog.zone_autocomplete(interaction(), "")
        assert empty[0].value == "Asia/Kolkata"
        assert len(empty) <= 25
    finally:
        assert bot.engine is not None
        await bot.engine.dispose()

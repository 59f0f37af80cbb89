"""/help names every command the bot registers and fits Discord's embed limits."""

from __future__ import annotations

from pathlib import Path

from bot.client import MentorBot
from bot.config import Settings
from cogs.general import help_embed


async def test_help_lists_every_command_within_embed_limits(tmp_path: Path) -> None:
    bot = MentorBot(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    try:
        await bot.prepare()
        names = {c.name for c in bot.tree.get_commands()}
    finally:
        await bot.close()
    embed = help_embed()
    listed = " ".join(field.value or "" for field in embed.fields)
    assert names, "no commands registered"
    for name in names:
        assert f"`/{name}" in listed, f"/help does not mention /{name}"
    assert all(len(field.value or "") <= 1024 for field in embed.fields)
    assert len(embed) <= 6000

"""Project-wide rules: the pure core stays pure, and command names stay unique."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"discord", "sqlalchemy", "openai", "apscheduler", "aiohttp", "aiosqlite"}
CORE = sorted((ROOT / "bot" / "domain").glob("*.py"))


def imported_roots(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_the_core_imports_no_io_library(path: Path) -> None:
    assert imported_roots(path) & FORBIDDEN == set()


def test_the_core_imports_nothing_from_the_outer_layers() -> None:
    for path in CORE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("bot.db", "bot.services", "bot.ui", "cogs")), (
                    f"{path.name} imports {node.module}"
                )


async def test_command_names_are_unique_and_described(tmp_path: Path) -> None:
    from bot.client import MentorBot
    from bot.config import Settings

    bot = MentorBot(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    await bot.prepare()
    assert bot.engine is not None
    await bot.engine.dispose()
    names = [c.qualified_name for c in bot.tree.walk_commands()]
    assert len(names) == len(set(names))
    assert {"coach start", "coach resume", "coach end", "coach frameworks", "help"} <= set(names)
    assert {"debrief schedule", "debrief now", "debrief pause", "commitments"} <= set(names)
    for command in bot.tree.walk_commands():
        # discord.py fills a missing description with an ellipsis.
        assert command.description not in ("", "…"), command.qualified_name
        for parameter in getattr(command, "parameters", []):
            where = f"{command.qualified_name} {parameter.name}"
            assert parameter.description not in ("", "…"), where

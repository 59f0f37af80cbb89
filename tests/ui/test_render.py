"""Splitting coach turns into Discord-sized messages."""

import pytest

from bot.ui.render import split_message


def test_short_text_is_one_chunk() -> None:
    assert split_message("What would you like to work on?") == ["What would you like to work on?"]


def test_long_text_splits_at_paragraphs_within_the_limit() -> None:
    paragraphs = [("word " * 150).strip() for _ in range(5)]
    text = "\n\n".join(paragraphs)
    chunks = split_message(text, 2000)
    assert all(len(c) <= 2000 for c in chunks)
    assert "\n\n".join(chunks) == text
    assert len(chunks) == 3


def test_unbroken_text_is_cut_hard() -> None:
    chunks = split_message("x" * 4500, 2000)
    assert [len(c) for c in chunks] == [2000, 2000, 500]


def test_words_are_not_cut() -> None:
    text = " ".join(f"w{i}" for i in range(1000))
    chunks = split_message(text, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_bad_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_message("x", 0)

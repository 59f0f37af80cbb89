"""Helpers that echo the member's words."""

import pytest

from bot.domain.text import (
    excerpt,
    has_number,
    join_labels,
    quote,
    starts_first_person,
    swap_person,
)


@pytest.mark.parametrize(
    ("said", "swapped"),
    [
        ("I want to get promoted", "you want to get promoted"),
        ("I'm worried about my manager", "you're worried about your manager"),
        ("I was tired and we missed our deadline", "you were tired and you missed your deadline"),
        ("My team trusts me", "your team trusts you"),
        ("I’ve tried it myself", "you've tried it yourself"),
    ],
)
def test_swap_person(said: str, swapped: str) -> None:
    assert swap_person(said) == swapped


def test_swap_keeps_capital_words() -> None:
    assert swap_person("I met Amazon's recruiter") == "you met Amazon's recruiter"


def test_excerpt_cuts_long_answers_at_a_clause() -> None:
    said = (
        "I want to move into a staff engineering role within the next year, because I have "
        "been leading the platform migration and people already come to me for design reviews."
    )
    cut = excerpt(said, 16)
    assert cut == "I want to move into a staff engineering role within the next year…"
    assert excerpt("Get a job at Amazon.") == "Get a job at Amazon"


def test_quote_uses_typographic_marks_and_neutralises_inner_quotes() -> None:
    assert quote('He said "no" to me') == "“He said 'no' to me”"


def test_first_person_detection() -> None:
    assert starts_first_person("I'm stuck")
    assert starts_first_person("we shipped it")
    assert not starts_first_person("my system design interview")
    assert not starts_first_person("Imagine a world")
    assert not starts_first_person("a job at Amazon")


def test_has_number() -> None:
    assert has_number("cut latency by 40%")
    assert has_number("saved two weeks")
    assert not has_number("the team was happier")


def test_join_labels() -> None:
    assert join_labels(["work"]) == "work"
    assert join_labels(["work", "health"]) == "work and health"
    assert join_labels(["a", "b", "c"]) == "a, b and c"

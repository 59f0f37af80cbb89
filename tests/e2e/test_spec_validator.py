"""SpecValidator and the extra limits on hand-written good and bad bodies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import payloads as p
from tests.e2e.limits import check_limits, embed_length
from tests.e2e.spec import NO_OPERATION, SpecValidator

SEND = "/api/v10/channels/123/messages"
CALLBACK = "/api/v10/interactions/456/token/callback"


def button(custom_id: str) -> dict[str, Any]:
    """Return a primary button."""
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}


def text_input(custom_id: str) -> dict[str, Any]:
    """Return a modal row holding one short text input."""
    return {
        "type": 1,
        "components": [{"type": 4, "custom_id": custom_id, "style": 1, "label": "L"}],
    }


def test_valid_message_has_no_violations(spec_validator: SpecValidator) -> None:
    body = {
        "content": "What went well this week?",
        "allowed_mentions": {"parse": [], "users": [123, "456"]},
        "embeds": [{"title": "Debrief", "fields": [{"name": "Win", "value": "Shipped"}]}],
        "components": [{"type": 1, "components": [button("a"), button("b")]}],
    }

    assert spec_validator.check("POST", SEND, body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"content": "x" * 2001}, "content has 2001 characters, limit 2000"),
        ({"content": 5}, "$.content: 5 is not of type 'string', 'null'"),
        (
            {"allowed_mentions": {"users": ["abc"]}},
            "$.allowed_mentions.users[0]: 'abc' does not match",
        ),
        ({"embeds": [{"title": "t"}] * 11}, "11 embeds, limit 10"),
        ({"embeds": [{"description": "d" * 4000}, {"title": "t" * 2001}]}, "$.embeds[1].title"),
        ({"embeds": [{"description": "d" * 4000}] * 2}, "embeds total 8000 characters, limit 6000"),
        (
            {"components": [{"type": 1, "components": [button("x"), {**button("y"), "label": 7}]}]},
            "$.components[0].components[1].label: 7 is not of type 'string', 'null'",
        ),
        (
            {"components": [{"type": 1, "components": [button("dup"), button("dup")]}]},
            "custom_id 'dup' used 2 times in one message",
        ),
    ],
)
def test_bad_message_bodies_are_caught(
    spec_validator: SpecValidator, body: dict[str, Any], expected: str
) -> None:
    problems = spec_validator.check("POST", SEND, body)

    assert any(expected in problem for problem in problems), problems


def test_multipart_payload_json_uses_the_multipart_schema(spec_validator: SpecValidator) -> None:
    problems = spec_validator.check("POST", SEND, {"content": 7}, multipart=True)

    assert problems == [f"POST {SEND}: $.content: 7 is not of type 'string', 'null'"]


def test_missing_required_body_is_a_violation(spec_validator: SpecValidator) -> None:
    assert spec_validator.check("POST", SEND, None) == [f"POST {SEND}: request body is required"]


def test_unknown_route_is_reported(spec_validator: SpecValidator) -> None:
    assert spec_validator.check("POST", "/api/v10/nowhere", {}) == [
        f"POST /api/v10/nowhere: {NO_OPERATION}"
    ]
    assert spec_validator.check("DELETE", "/api/v10/users/@me", None)[0].endswith(NO_OPERATION)


def test_literal_segments_win_over_placeholders(spec_validator: SpecValidator) -> None:
    found = spec_validator.find_operation("GET", "/api/v10/applications/@me")

    assert found is not None
    assert found.template == "/applications/@me"


def test_callback_bodies_are_checked_per_type(spec_validator: SpecValidator) -> None:
    good = {"type": 4, "data": {"content": "pong", "flags": 64}}
    modal = {"type": 9, "data": {"custom_id": "m", "title": "T", "components": [text_input("a")]}}

    assert spec_validator.check("POST", CALLBACK, good) == []
    assert spec_validator.check("POST", CALLBACK, modal) == []
    assert spec_validator.check("POST", CALLBACK, {"type": 4, "data": {"content": 1}}) == [
        f"POST {CALLBACK}: $.data.content: 1 is not of type 'string', 'null'"
    ]
    assert spec_validator.check("POST", CALLBACK, {"type": 99}) != []


def test_modal_limits(spec_validator: SpecValidator) -> None:
    too_many = [text_input(f"f{i}") for i in range(6)]
    repeated = [text_input("same"), text_input("same")]
    body: dict[str, Any] = {
        "type": 9,
        "data": {"custom_id": "m", "title": "T", "components": too_many},
    }

    problems = spec_validator.check("POST", CALLBACK, body)
    body["data"]["components"] = repeated

    assert f"POST {CALLBACK}: modal has 6 top-level components, limit 5" in problems
    assert any(
        "custom_id 'same' used 2 times" in v for v in spec_validator.check("POST", CALLBACK, body)
    )


def test_fake_message_objects_match_the_response_schema(spec_validator: SpecValidator) -> None:
    author = p.user("1", "alice")
    stored = p.message(
        "2",
        "3",
        author,
        {"content": "hi", "components": [{"type": 1, "components": [button("a")]}]},
    )

    assert spec_validator.check_response("POST", SEND, 200, stored) == []
    assert spec_validator.check_response("POST", SEND, 200, {"id": "2"}) != []


def test_custom_ids_are_found_in_nested_components_v2() -> None:
    section = {"type": 9, "components": [], "accessory": button("a")}
    container = {"type": 17, "components": [section, {"type": 1, "components": [button("a")]}]}

    assert check_limits("/channels/{channel_id}/messages", {"components": [container]}) == [
        "custom_id 'a' used 2 times in one message"
    ]


def test_embed_length_counts_the_documented_fields() -> None:
    embed = {
        "title": "ab",
        "description": "cde",
        "fields": [{"name": "f", "value": "gh"}],
        "footer": {"text": "ij"},
        "author": {"name": "k", "url": "https://example.com/not-counted"},
        "url": "https://example.com/not-counted",
    }

    assert embed_length(embed) == 11

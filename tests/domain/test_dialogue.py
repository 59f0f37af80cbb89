"""The dialogue engine on a small framework defined here, so each rule is visible."""

from datetime import date

import pytest

from bot.domain import dialogue
from bot.domain.dialogue import Context, parse_scale
from bot.domain.frameworks import Store, parse_framework
from bot.domain.guard import check_turn
from bot.domain.state import ReplyKind, SessionState, Status, TurnResult

FW = parse_framework(
    """
id = "mini"
title = "Mini"
purpose = "A small framework for the engine's tests."

[[stages]]
id = "goal"
title = "Goal"
purpose = "Name the goal."
questions = ["What would you like to get out of this?", "What outcome are you after?"]
reflections = ["Your goal, in your words: {answer}."]
summary_label = "Your goal"
capture = { kind = "text", key = "goal", store = "goal" }

[[stages]]
id = "last"
title = "Last time"
purpose = "Follow up an earlier step."
only_if = "fact_last_action"
questions = ["How did {fact_last_action} go?"]
capture = { kind = "text", key = "last" }

[[stages]]
id = "score"
title = "Score"
purpose = "Rate it."
questions = ["Where is it today, from 0 to 10?", "How close are you, 0 to 10?"]
reflections = ["You put it at {answer} out of 10."]
capture = { kind = "scale", key = "score", store = "stress_score" }

[[stages]]
id = "better"
title = "One point up"
purpose = "Picture one step higher."
questions = ["What would one point higher look like?", "What would {score_up} look like?"]
capture = { kind = "text", key = "better" }
probes = [{ text = "What else would you notice?" }]
max_probes = 2

[[stages]]
id = "area"
title = "Area"
purpose = "Where it sits."
questions = ["Which part of life does this touch most?"]
capture = { kind = "choice", key = "area", options = [
  { id = "work", label = "Work", keywords = ["job", "boss"] },
  { id = "health", label = "Health", keywords = ["sleep"] },
] }

[[stages]]
id = "step"
title = "Step"
purpose = "Commit to one step."
questions = ["What is one step you will take?"]
capture = { kind = "commitment", key = "step", store = "commitment" }
probes = [{ text = "When will you have done it by?", when = "no_due_date" }]
summary_label = "Your next step"
"""
)
CTX = Context(today=date(2026, 11, 23))


def talk(messages: list[str], **facts: str) -> list[TurnResult]:
    """Run a whole conversation and return every turn, the opening first."""
    turns = [dialogue.start(FW, CTX, facts=facts)]
    for message in messages:
        turns.append(dialogue.respond(FW, turns[-1].state, message, CTX))
    return turns


def questions(turn: TurnResult) -> list[str]:
    return [r.text for r in turn.replies if r.kind is ReplyKind.QUESTION]


def test_words_instead_of_a_score_are_reflected_without_the_score_stem() -> None:
    turn = talk(["get hired", "it has been a rough week honestly"])[-1]
    assert turn.state.stage_id == "score"
    assert "“it has been a rough week honestly”" in turn.replies[0].text
    assert "out of 10" not in turn.replies[0].text


def test_a_full_conversation_reflects_and_asks_one_question_per_turn() -> None:
    turns = talk(
        [
            "I want to feel calmer before interviews",
            "6",
            "I would sleep properly the night before",
            "nothing else",
            "mostly my job and the boss",
            "I'll book a mock interview by Friday",
        ]
    )
    for turn in turns[:-1]:
        assert len(questions(turn)) == 1, turn.replies
        assert check_turn(turn.text) == [], turn.text
    assert turns[1].replies[0].kind is ReplyKind.REFLECTION
    assert "calmer before interviews" in turns[1].replies[0].text
    assert turns[2].replies[0].text == "You put it at 6 out of 10."
    assert questions(turns[2]) in (
        ["What would 7 look like?"],
        ["What would one point higher look like?"],
    )
    assert "Work" in turns[5].text or "work" in turns[5].text
    final = turns[-1]
    assert final.done
    assert final.state.status is Status.DONE
    summary = final.replies[-1]
    assert summary.kind is ReplyKind.SUMMARY
    assert "I want to feel calmer before interviews" in summary.text
    assert "book a mock interview" in summary.text
    assert "Friday 27 November" in summary.text
    stored = {item.store: item.value for item in final.stored}
    assert stored[Store.GOAL].text == "I want to feel calmer before interviews"
    assert stored[Store.COMMITMENT].due == date(2026, 11, 27)
    assert stored[Store.STRESS_SCORE].score == 6


def test_only_if_stage_runs_when_the_fact_is_given() -> None:
    without = talk(["a calmer week"])
    assert without[-1].state.stage_id == "score"
    with_fact = talk(["a calmer week"], fact_last_action="walk at lunch twice")
    assert with_fact[-1].state.stage_id == "last"
    assert questions(with_fact[-1]) == ["How did “walk at lunch twice” go?"]


def test_short_answers_get_no_reflection() -> None:
    turns = talk(["promotion"])
    assert [r.kind for r in turns[-1].replies] == [ReplyKind.QUESTION]


def test_scale_reasks_politely_then_moves_on() -> None:
    turns = talk(["get hired", "pretty bad honestly", "no idea", "still can't say"])
    assert turns[2].state.stage_id == "score"
    assert len(questions(turns[2])) == 1
    assert "0" in questions(turns[2])[0]
    assert "10" in questions(turns[2])[0]
    assert turns[3].state.stage_id == "score"
    assert turns[4].state.stage_id == "better"
    assert turns[4].state.captures["score"].score is None


@pytest.mark.parametrize(
    ("said", "score"),
    [("7", 7), ("about a 4/10", 4), ("six", 6), ("7.5", 8), ("0", 0), ("11", None), ("meh", None)],
)
def test_parse_scale(said: str, score: int | None) -> None:
    assert parse_scale(said) == score


def test_probes_stop_when_the_member_has_nothing_more() -> None:
    turns = talk(["get hired", "5", "I would apply more", "that's it"])
    assert turns[-1].state.stage_id == "area"


def test_probes_are_capped_at_max_probes() -> None:
    turns = talk(
        ["get hired", "5", "apply more widely", "ask a friend to refer me", "update my portfolio"]
    )
    assert turns[-1].state.stage_id == "area"
    assert turns[-1].state.captures["better"].extras == [
        "ask a friend to refer me",
        "update my portfolio",
    ]


def test_commitment_without_date_gets_the_due_date_probe() -> None:
    turns = talk(["get hired", "5", "nothing", "nothing", "work", "ask for feedback"])
    assert questions(turns[-1]) == ["When will you have done it by?"]
    done = dialogue.respond(FW, turns[-1].state, "by next Tuesday", CTX)
    assert "“ask for feedback”, by Tuesday 1 December" in done.replies[0].text
    assert done.done
    assert done.state.captures["step"].due == date(2026, 12, 1)


def test_skip_back_pause_resume_end() -> None:
    turns = talk(["get hired", "skip"])
    assert turns[-1].state.stage_id == "better"
    assert "score" not in turns[-1].state.captures
    back = dialogue.respond(FW, turns[-1].state, "back", CTX)
    assert back.state.stage_id == "score"
    paused = dialogue.respond(FW, back.state, "pause", CTX)
    assert paused.state.status is Status.PAUSED
    assert not questions(paused)
    resumed = dialogue.resume(FW, paused.state)
    assert resumed.state.status is Status.ACTIVE
    assert questions(resumed) == [back.state.last_question]
    ended = dialogue.respond(FW, resumed.state, "end", CTX)
    assert ended.state.status is Status.ENDED
    assert "get hired" in ended.text
    assert [s.store for s in ended.stored] == [Store.GOAL]


def test_a_message_to_a_paused_conversation_resumes_it_as_an_answer() -> None:
    paused = dialogue.respond(FW, talk(["get hired"])[-1].state, "pause", CTX)
    answered = dialogue.respond(FW, paused.state, "4", CTX)
    assert answered.state.status is Status.ACTIVE
    assert answered.state.captures["score"].score == 4


def test_a_blank_message_repeats_the_question() -> None:
    first = talk([])[-1]
    again = dialogue.respond(FW, first.state, "   ", CTX)
    assert questions(again) == questions(first)
    assert again.state.stage_id == "goal"
    assert again.state.captures == {}


def test_back_at_the_first_question_says_so() -> None:
    turn = talk(["back"])[-1]
    assert turn.state.stage_id == "goal"
    assert [r.kind for r in turn.replies] == [ReplyKind.NOTICE, ReplyKind.QUESTION]


def test_finished_conversation_does_not_move() -> None:
    ended = talk(["end"])[-1]
    again = dialogue.respond(FW, ended.state, "hello?", CTX)
    assert again.state == ended.state
    assert again.replies[0].kind is ReplyKind.NOTICE


def test_state_round_trips_through_json() -> None:
    turn = talk(["I want a new role", "5", "I would have two offers"])[-1]
    restored = SessionState.model_validate(turn.state.model_dump(mode="json"))
    assert restored == turn.state
    after = dialogue.respond(FW, restored, "nothing", CTX)
    assert after.state.stage_id == "area"


def test_member_words_with_advice_are_quoted_not_paraphrased() -> None:
    turn = talk(["I should just quit and you should tell me how"])[-1]
    reflection = turn.replies[0].text
    assert "“" in reflection
    assert check_turn(turn.text) == []


def test_member_text_with_mentions_is_kept_as_said() -> None:
    turn = talk(["I want @everyone on my team to respect my time"])[-1]
    assert "@everyone" in turn.replies[0].text


def test_topic_is_reflected_at_the_start() -> None:
    turn = dialogue.start(FW, CTX, facts={"topic": "my first month as a manager"})
    assert turn.replies[0].kind is ReplyKind.REFLECTION
    assert "first month as a manager" in turn.replies[0].text

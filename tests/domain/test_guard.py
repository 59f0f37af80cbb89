"""Tests for the turn guard: sentence splitting, classification and the coaching contract."""

from __future__ import annotations

import pytest

from bot.domain.guard import (
    SentenceKind,
    Violation,
    check_question,
    check_turn,
    classify_sentence,
    contains_clinical,
    contains_confronting,
    is_open_question,
    is_question,
    split_sentences,
    strip_quotes,
)

OPEN = SentenceKind.OPEN_QUESTION
CLOSED = SentenceKind.CLOSED_QUESTION
REFLECTION = SentenceKind.REFLECTION
ADVICE = SentenceKind.ADVICE
OTHER = SentenceKind.OTHER


def rules(violations: list[Violation]) -> list[str]:
    return sorted(v.rule for v in violations)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What matters most? How would you know?", ["What matters most?", "How would you know?"]),
        ("Thanks. What went well this week?", ["Thanks.", "What went well this week?"]),
        (
            "You mentioned e.g. code reviews. What else?",
            ["You mentioned e.g. code reviews.", "What else?"],
        ),
        (
            "I spoke to Mr. Lee and Dr. Shah. It went fine.",
            ["I spoke to Mr. Lee and Dr. Shah.", "It went fine."],
        ),
        ("I was thinking... maybe not. What now?", ["I was thinking... maybe not.", "What now?"]),
        ("It was a lot... So what helped?", ["It was a lot...", "So what helped?"]),
        ("Nice work! 🎉 What made it possible?", ["Nice work! 🎉", "What made it possible?"]),
        ("Great week 🎉 What stood out?", ["Great week 🎉", "What stood out?"]),
        ("First line\nsecond line", ["First line", "second line"]),
        ("1. Do X\n2. Do Y", ["1. Do X", "2. Do Y"]),
        ("- sleep more\n- walk daily", ["- sleep more", "- walk daily"]),
        ("Try this: 1. rest. 2. walk.", ["Try this:", "1. rest.", "2. walk."]),
        ("It costs 3.5 hours a week.", ["It costs 3.5 hours a week."]),
        (
            "You said “I tried. It failed.” What now?",
            ["You said “I tried. It failed.”", "What now?"],
        ),
        ("really? yes", ["really?", "yes"]),
        ("i failed. i feel bad", ["i failed.", "i feel bad"]),
        ("", []),
        ("   \n  ", []),
        ("🎉", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_single_dash_line_is_not_a_list() -> None:
    assert split_sentences("- quite hard for you.") == ["quite hard for you."]


@pytest.mark.parametrize(
    "sentence",
    [
        "What matters most to you?",
        "how do you want to start",
        "Do you want to stop?",
        "do you have a plan",
        "Tell me more about that.",
        "Describe the moment it changed.",
        "I wonder what you would do differently.",
        "How confident are you about it.",
        "So you feel stuck?",
        "Okay?",
        "You said “why me?” and then what?",
    ],
)
def test_is_question_true(sentence: str) -> None:
    assert is_question(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "That sounds hard.",
        "You want a calmer week.",
        "What you said matters.",
        "What is important is that you rest.",
        "Do it today.",
        "You asked yourself “what now?”",
        "When you get home, you rest.",
        "",
    ],
)
def test_is_question_false(sentence: str) -> None:
    assert not is_question(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "What matters most to you?",
        "How did that feel?",
        "Which part felt hardest?",
        "Where do you want to be in a year?",
        "When do you feel most focused?",
        "Who else is affected?",
        "Whose opinion counts most here?",
        "Why is that important to you?",
        "In what way did it change?",
        "To what extent does that fit?",
        "Tell me about the last time it went well.",
        "Walk me through a normal Monday.",
        "Talk me through the decision.",
        "Say more about that.",
        "And what would help?",
        "So, what comes next?",
        "Okay, how do you want to use this hour?",
        "Now, what would be different?",
        "Sam, what went well this week?",
        "Looking back, what stands out?",
        "If you had a free hour, what would you do with it?",
        "When you get home, what do you notice?",
        "I'm curious how that landed for you.",
        "Could you tell me more about that?",
        "And then what?",
        "What’s shifted for you?",
        "What-what happened next?",
        "What else?",
        "Is there anything else you'd like to add?",
        "How far from the goal do you feel today?",
    ],
)
def test_open_questions(sentence: str) -> None:
    assert classify_sentence(sentence) is OPEN
    assert is_open_question(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Do you want to stop?",
        "Does that make sense?",
        "Did it work?",
        "Is that okay?",
        "Are you ready?",
        "Was it hard?",
        "Were they surprised?",
        "Can you join on Friday?",
        "Would Friday work?",
        "Will you do it?",
        "Have you finished it?",
        "Has it helped?",
        "Isn't that a relief?",
        "Don't you think so?",
        "Shall we begin?",
        "Am I right?",
        "It was a long week, right?",
        "That felt good, didn't it?",
        "So, is that right?",
        "When you get home, do you rest?",
        "I'm wondering if you talked to her.",
        "How many hours did you sleep?",
        "How often does that happen?",
        "Okay?",
        "Sorry?",
        # A bare statement with a rising "?" checks a fact; only a summing-up lead makes it a
        # reflection.
        "And it doesn't feel good?",
        "You were surprised?",
    ],
)
def test_closed_questions(sentence: str) -> None:
    assert classify_sentence(sentence) is CLOSED
    assert not is_open_question(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # advice disguised as a question
        "Have you considered talking to your manager?",
        "Have you tried blocking focus time?",
        "What if you tried saying no once a week?",
        "How about you ask for feedback first?",
        "How about trying a shorter list?",
        "What about asking your lead for help?",
        "Why don't you just ask her?",
        "Why not start tomorrow?",
        "Would it help to write it down?",
        "Would it be a good idea to take a day off?",
        "Could you try waking up earlier?",
        "Wouldn't it be better to wait?",
        "Do you think you should quit?",
        "You should ask her, don't you think?",
        "How would you feel about trying a weekly review?",
        # statements
        "You should talk to your manager.",
        "You need to rest more.",
        "You have to set boundaries.",
        "You must stop working late.",
        "You ought to say no.",
        "I suggest a short walk.",
        "I recommend writing it down.",
        "I'd recommend a mentor.",
        "My advice is to wait.",
        "Try to sleep earlier.",
        "Try a shorter list.",
        "Consider a smaller goal.",
        "Make sure you eat lunch.",
        "Remember to take breaks.",
        "Don't forget to celebrate.",
        "Avoid meetings after four.",
        "Stop checking email at night.",
        "Start with the easiest task.",
        "Focus on one thing.",
        "Take a day off.",
        "Use a timer.",
        "Go for a walk.",
        "Set a deadline.",
        "Write down three wins.",
        "Practice the answer out loud.",
        "Practise with a friend.",
        "Prepare two stories.",
        "Schedule a weekly review.",
        "Keep a journal.",
        "Be kind to yourself.",
        "So just try to relax.",
        "Maybe talk to your lead.",
        "Please ask for help.",
        "It's important to rest.",
        "It is best to start small.",
        "The best way is to practise daily.",
        "The key is consistency.",
        "Studies show that short breaks help.",
        "Research shows sleep matters.",
        "One option is to delegate.",
        "A good idea would be to ask.",
        "You could ask for an extension.",
        "You might want to talk to HR.",
        "That's normal for a new manager.",
        "That is a common reaction.",
        "Many people feel this way at first.",
        "I'd like you to try one thing.",
        "You're going to need to tell them.",
        "You gotta just do it.",
        "1. Talk to your lead",
        "- a weekly review",
    ],
)
def test_advice(sentence: str) -> None:
    assert classify_sentence(sentence) is ADVICE
    assert not is_open_question(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Tell me what you tried.",
        "Describe a good day.",
        "Walk me through it.",
        "Imagine it is six months from now.",
        "Picture the meeting going well.",
        "Say more about that.",
        "Take your time.",
        "Let's look at what you have so far.",
        "Feel free to skip this one.",
        "You could see it coming.",
        "You never know how it will go.",
        "You said “you should rest”.",
        "Have you thought about what it might take?",
        "Why don't you tell me more about it?",
    ],
)
def test_not_advice(sentence: str) -> None:
    assert classify_sentence(sentence) is not ADVICE


@pytest.mark.parametrize(
    "sentence",
    [
        "You want a calmer week.",
        "Your team matters a lot to you.",
        "It sounds like the deadline scared you.",
        "So you are torn between the two.",
        "You're tired of firefighting.",
        "Sounds like a big week.",
        "It seems the feedback stung.",
        "You've been carrying this alone.",
        "Part of you wants to stay.",
        "On one hand you love the work.",
        "You said the meeting went badly.",
        "In your words: “too much, too fast”.",
        "That matters to you.",
        "So you feel stuck?",
        "It sounds like a lot to carry?",
    ],
)
def test_reflection(sentence: str) -> None:
    assert classify_sentence(sentence) is REFLECTION


@pytest.mark.parametrize(
    "sentence",
    [
        "Thanks for sharing that.",
        "Great.",
        "Okay.",
        "I'm glad you came.",
        "Let's look at your goal.",
        "Imagine it is a year from now.",
        "",
    ],
)
def test_other(sentence: str) -> None:
    assert classify_sentence(sentence) is OTHER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You said “I should quit.”", "You said “”"),
        ("A “b” and “c d”.", "A “” and “”."),
        ('She said "stop" twice.', 'She said "" twice.'),
        ("An open “quote never closes", "An open “quote never closes"),
        ("No quotes here.", "No quotes here."),
    ],
)
def test_strip_quotes(text: str, expected: str) -> None:
    assert strip_quotes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "You should call her.",
        "You must try harder.",
        "You have to stop.",
        "You need to decide.",
        "Why didn't you ask?",
        "Why haven't you started?",
        "Why don't you just say no?",
        "Why did you agree to that?",
        "Why can't you finish it?",
        "You failed the review.",
        "That's wrong.",
        "You're wrong about this.",
        "What's wrong with you?",
        "Obviously it was too much.",
        "Just do the work.",
        "You always say yes.",
        "You never ask for help.",
        "You’re wrong.",
        "YOU SHOULD CALL HER.",
    ],
)
def test_confronting(text: str) -> None:
    assert contains_confronting(text)


@pytest.mark.parametrize(
    "text",
    [
        "You said “you should rest more.”",
        "In your words, “why didn't you ask?”",
        "You never know how a launch will go.",
        "What feels wrong about it?",
        "Why is that important to you?",
        "Why don't you tell me more?",
        "What would you do differently?",
        "There is nothing shameful in asking.",
    ],
)
def test_not_confronting(text: str) -> None:
    assert not contains_confronting(text)


@pytest.mark.parametrize(
    "text",
    [
        "You have depression.",
        "You might have ADHD.",
        "It sounds like burnout syndrome.",
        "Have you been diagnosed?",
        "That could be an anxiety disorder.",
        "You are clinically exhausted.",
        "Are you taking any medication?",
        "Did your meds change?",
        "Sleeping pills might help.",
        "An antidepressant could help.",
        "What dose are you on?",
        "Your doctor could prescribe something.",
        "Melatonin helps some people.",
        "Try a Xanax.",
        "A better diet would help.",
        "Count your calories.",
        "Intermittent fasting works for me.",
        "Take a magnesium supplement.",
        "Cut your caffeine intake.",
    ],
)
def test_clinical(text: str) -> None:
    assert contains_clinical(text)


@pytest.mark.parametrize(
    "text",
    [
        "You said “my meds make me tired.”",
        "In your words: “I stopped the diet.”",
        "What helps you recover after a hard week?",
        "The burnout felt real to you.",
        "You feel anxious before reviews.",
        "What did the doctor's visit mean to you?",
        "What does a good evening look like?",
    ],
)
def test_not_clinical(text: str) -> None:
    assert not contains_clinical(text)


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("What matters most to you?", {}, []),
        ("It sounds like a hard week. What helped?", {}, []),
        ("You said “you should rest.” What do you make of that?", {}, []),
        ("You said “what now?” What comes to mind?", {}, []),
        ("What matters? What helps?", {}, ["T1"]),
        ("What helped? And what got in the way?", {}, ["T1"]),
        ("Tell me more. What happened next?", {}, ["T1"]),
        ("Do you want to try it?", {}, ["T2"]),
        ("Do you want to try it?", {"allow_closed": True}, []),
        ("Will you do it by Friday?", {"allow_closed": True}, []),
        ("You should rest. What do you think?", {}, ["T3", "T4"]),
        ("Have you considered a mentor?", {}, ["T3"]),
        ("Here's what to do:\n1. Rest\n2. Walk", {}, ["T3", "T3", "T3"]),
        ("That's normal. What else?", {}, ["T3"]),
        ("Obviously that was hard. What helped?", {}, ["T4"]),
        ("What did your doctor say about the medication?", {}, ["T7"]),
        ("Why didn't you ask her?", {}, ["T4"]),
        ("", {}, ["empty"]),
        ("   ", {}, ["empty"]),
        ("What matters most? " * 3, {}, ["T1"]),
        ("What matters most to you? " + "x" * 60, {"max_chars": 50}, ["length"]),
    ],
)
def test_check_turn(text: str, kwargs: dict[str, object], expected: list[str]) -> None:
    assert rules(check_turn(text, **kwargs)) == expected  # type: ignore[arg-type]


def test_a_recap_list_of_the_members_words_is_not_advice() -> None:
    recap = (
        "Here is what you said today:\n"
        "• Your goal: “lead the next release”\n"
        "• Stress this week (0-10): 6/10\n"
        "• Your next step: “book a chat with my manager” (by Friday)"
    )
    assert check_turn(recap) == []
    assert [classify_sentence(s) for s in split_sentences(recap)][1:] == [REFLECTION] * 3


def test_steps_in_a_list_are_advice_even_without_verbs() -> None:
    kinds = [classify_sentence(s) for s in split_sentences("Options:\n- a mentor\n- a course")]
    assert kinds == [OTHER, ADVICE, ADVICE]


@pytest.mark.parametrize(
    "sentence",
    [
        "So you would tell a friend that the hard part is done.",
        "You could tell it was going badly.",
        "Here is what you worked out today.",
    ],
)
def test_statements_that_look_like_invitations_are_not_questions(sentence: str) -> None:
    assert not is_question(sentence)
    assert classify_sentence(sentence) is not ADVICE


def test_check_turn_details_name_the_problem() -> None:
    violations = check_turn("You should sleep more. What helps?")
    by_rule = {v.rule: v.detail for v in violations}
    assert "You should sleep more." in by_rule["T3"]
    assert "you should" in by_rule["T4"]


def test_check_turn_counts_question_marks_outside_quotes_only() -> None:
    assert rules(check_turn("You asked “why me? why now?” What do you make of it?")) == []


def test_check_turn_ignores_member_words_for_t3_t4_t7() -> None:
    text = "You said “I need to cut caffeine and you should stop the meds.” What stands out?"
    assert check_turn(text) == []


def test_violation_is_frozen() -> None:
    violation = Violation("T1", "two questions")
    with pytest.raises(AttributeError):
        violation.rule = "T2"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What matters most to you?", []),
        ("Think of a recent week. What went well?", []),
        ("Looking at {goal}, what would be different?", []),
        ("{name}, what would you like to focus on today?", []),
        ("Tell me about a time you led without authority.", []),
        ("Do you want to start?", ["T2"]),
        ("What went well? What did not?", ["T1"]),
        ("Take a break.", ["T1", "T3"]),
        ("It's a hard week.", ["T1"]),
        ("Have you tried a to-do list?", ["T3"]),
        ("Try a to-do list. What would help?", ["T3"]),
        ("Picture it. Hold it. What do you notice?", ["length"]),
        ("Why didn't you say no?", ["T4"]),
        ("What diet are you on?", ["T7"]),
        ("", ["empty"]),
    ],
)
def test_check_question(text: str, expected: list[str]) -> None:
    assert rules(check_question(text)) == expected


# --- rules added against the AnnoMI measurement (bench/guard_annomi.py) -------------------


@pytest.mark.parametrize(
    "sentence",
    ["Yeah?", "Oh, yeah?", "Mm-hmm?", "Uh-huh?", "Really?", "You know what?", "[inaudible]?"],
)
def test_listening_sounds_and_set_phrases_with_a_question_mark_do_not_ask(sentence: str) -> None:
    assert not is_question(sentence)
    assert classify_sentence(sentence) is OTHER


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a repeated phrase or a cut-off start is read once
        ("Can you- can you tell me about the launch?", OPEN),
        ("Wha-wha-what helped most?", OPEN),
        ("Do- do you want to stop?", CLOSED),
        # a speaker who starts over means the last question
        ("Is it-- what made you leave?", OPEN),
        ("What was- did it work?", CLOSED),
        # an aside after the question does not close it
        ("What helped most, do you think?", OPEN),
        ("How did it go, would you say?", OPEN),
        # an alternative left open invites the member's own words
        ("Do you feel relieved, or?", OPEN),
        ("Was it the deadline or what?", OPEN),
        ("Is that right or not?", CLOSED),
        # a count or an amount has one short answer
        ("How much time do you spend in meetings?", CLOSED),
        ("How many people report to you?", CLOSED),
        ("How much more confident do you feel now?", OPEN),
        # a wh-word before its subject opens a clause, not a question
        ("By Friday, when you meet her, the draft will be ready?", CLOSED),
        ("By then, which you said is soon, you'll know?", CLOSED),
        # a question can follow a lead-in clause, with or without its mark
        ("Thinking about next week, what would you change.", OPEN),
        ("Looking at the review, how did you feel about it", OPEN),
        ("How much time have you spent on it.", CLOSED),
        ("Which part of the talk did you enjoy.", OPEN),
        # indirect questions
        ("I wanted to check in and see how the launch went.", OPEN),
        ("I'm really interested to know what you think.", OPEN),
        ("I'm wondering if you could tell me about the move.", OPEN),
        ("I'm wondering if you asked her.", CLOSED),
        # bracketed notes are not words anyone said
        ("[laughs] What happened next?", OPEN),
    ],
)
def test_question_grammar(sentence: str, expected: SentenceKind) -> None:
    assert is_question(sentence)
    assert classify_sentence(sentence) is expected


@pytest.mark.parametrize(
    "sentence",
    [
        "What you said did it.",
        "Is it--",
        "Would you-",
        "That was fun, which is great.",
        "When you get there, you will know.",
    ],
)
def test_statements_and_broken_starts_are_not_questions(sentence: str) -> None:
    assert not is_question(sentence)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("So you feel stuck?", REFLECTION),
        ("And so you left early?", REFLECTION),
        ("It seems like the plan changed?", REFLECTION),
        ("In other words, you want more say?", REFLECTION),
        ("You were surprised?", CLOSED),
        ("And your manager agreed?", CLOSED),
        ("That would work for you?", CLOSED),
    ],
)
def test_a_rising_statement_is_a_reflection_only_when_it_sums_up(
    sentence: str, expected: SentenceKind
) -> None:
    assert is_question(sentence)
    assert classify_sentence(sentence) is expected


@pytest.mark.parametrize(
    "sentence",
    [
        # advice disguised as a question: the model integration relies on these
        "Have you considered asking your manager?",
        "Have you thought about trying a weekly review?",
        "Why not try a short walk?",
        "What if you just told her?",
        "What would happen if you just said no?",
        "What stops you from just asking her?",
        "How about just asking her?",
        "What about blocking your mornings?",
        "Maybe you could ask her?",
        "You could just ask her, right?",
        "Could you maybe try asking her?",
        "Couldn't you just ask her?",
        "Might it be worth talking to your manager?",
        "Is it worth asking her?",
        "Would it make sense to start with a smaller goal?",
        "Do you think it would help to write it down?",
        "Isn't it time to ask for help?",
        "Don't you think you should rest?",
        "Would you be willing to try a short walk each day?",
        "Any chance you could delegate it?",
        "Wouldn't a list help?",
        "Perhaps a weekly review would help?",
        "Ever thought of asking your lead?",
        "Do you feel you could just stop?",
        # statements
        "The other thing I would do is call her.",
        "A short list is a good way to start.",
        "That habit needs to stop.",
        "If you feel stuck, you should ask for help.",
        "You feel stuck, so you should ask for help.",
        "It sounds like you should rest.",
        "Honestly, here is the fix: say no to the extra project.",
        "Most engineers in your role ask for a mentor first.",
    ],
)
def test_advice_in_disguise(sentence: str) -> None:
    assert classify_sentence(sentence) is ADVICE
    assert any(v.rule == "T3" for v in check_turn(sentence))


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # the member's own view given back is not the coach's advice
        ("So you feel you have to say yes.", REFLECTION),
        ("You feel like you could make some changes.", REFLECTION),
        ("You said a list is a good way to start.", REFLECTION),
        # asking leave to share, or about the member's own options, is a question
        ("Would it help if I shared what others have tried?", CLOSED),
        ("Is there someone you could call?", CLOSED),
        ("What about driving?", OPEN),
        ("Try to think back, who was there?", OPEN),
        ("What would be different if you were one point higher?", OPEN),
        ("Is now a good time to talk?", CLOSED),
        ("Does that help?", CLOSED),
    ],
)
def test_not_advice_in_disguise(sentence: str, expected: SentenceKind) -> None:
    assert classify_sentence(sentence) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # two questions in one turn, in every shape
        ("What helped? What got in the way?", ["T1"]),
        ("What helped, and did it last?", ["T2"]),
        ("Tell me about the week. How did the launch go?", ["T1"]),
        ("How did it go. What would you change.", ["T1"]),
        ("What helped? Is it--", []),
        # a list of steps
        ("1. Block your mornings. 2. Say no to one meeting.", ["T3", "T3"]),
        ("Here are a few ideas:\n1. A weekly review\n2. A walk at lunch", ["T3", "T3", "T3"]),
        ("- rest more\n- ask for help\nWhat do you think?", ["T3", "T3"]),
        # a diagnosis
        ("It sounds like you have depression.", ["T7"]),
        ("That sounds like burnout syndrome. What helps?", ["T7"]),
        ("You might have ADHD. What do you make of that?", ["T7"]),
        # advice in disguise next to a fine question
        ("What if you just told her? What matters most?", ["T1", "T3"]),
        ("You feel stuck, so you should ask. What would help?", ["T3", "T4"]),
        # what the coach may send
        ("So you feel stuck. What would help?", []),
        ("It sounds like the week was long. What stood out?", []),
        ("Yeah? What happened next?", []),
    ],
)
def test_check_turn_catches_what_a_model_might_write(text: str, expected: list[str]) -> None:
    assert rules(check_turn(text)) == expected

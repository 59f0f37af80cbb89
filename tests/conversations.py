"""Scripted member answers for every shipped framework, shared by tests and benchmarks."""

from __future__ import annotations

SCRIPTS: dict[str, list[str]] = {
    "grow": [
        "I want to be promoted to senior engineer before next summer's review cycle",
        "I have led two projects this year but my manager says I need more visibility",
        "I could present the migration work at the engineering all-hands next month",
        "ask my manager for a stretch project that touches other teams",
        "nothing else",
        "I'll ask my manager for a stretch project by Friday",
    ],
    "solution_focused": [
        "I would wake up without dread and get through my interview prep calmly",
        "Last Tuesday I did two practice problems before work and felt steady all day",
        "when I go to bed early and skip the late news I cope much better",
        "6",
        "I would do one practice problem every morning without checking messages first",
        "I'll do one practice problem before breakfast tomorrow",
    ],
    "feedback_sandwich": [
        "my system design mock interview yesterday with a senior engineer from another team",
        "I clarified the requirements well and drew a clean diagram of the data flow",
        "I rushed the capacity estimates and forgot to talk about failure modes at all",
        "I would tell a friend that clear structure is the hard part and they already have it",
        "I'll practise capacity estimates on two design problems by Sunday",
    ],
    "stress_debrief": [
        "7",
        "I finished the database migration on time and my team thanked me for it",
        "too many meetings on Wednesday while my kid was sick at home all week",
        "work mostly, and some money worries about the rent going up",
        "it always gets worse in release weeks when I say yes to every meeting",
        "I'll block two hours of focus time on Wednesday morning",
    ],
    "star_story": [
        "At my last job our checkout latency regressed badly two weeks before Black Friday",
        "I had to bring checkout latency back to normal before the traffic peak arrived",
        "I profiled the service, chose to cache pricing rather than rewrite it, "
        "and agreed a rollback plan",
        "I asked the payments team for a load test slot so we could check the fix "
        "under real traffic",
        "that's it",
        "p95 latency dropped from 650 ms to 270 ms and conversion went up by 2 percent",
        "I would involve the data team earlier so we could see the regression sooner",
        "ownership and dive deep, plus a bit of bias for action",
        "I'll practise telling it aloud on Saturday morning",
    ],
}

# What each scripted conversation must end up storing: (goal text or None, commitment words).
EXPECTED: dict[str, tuple[str | None, str]] = {
    "grow": (SCRIPTS["grow"][0], "stretch project"),
    "solution_focused": (SCRIPTS["solution_focused"][0], "practice problem before breakfast"),
    "feedback_sandwich": (None, "capacity estimates"),
    "stress_debrief": (None, "block two hours of focus time"),
    "star_story": (None, "practise telling it aloud"),
}

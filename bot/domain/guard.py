"""Check a coach turn against the coaching contract: ask, reflect, never direct."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain import lexicon as lx


class SentenceKind(StrEnum):
    """What one sentence of a coach turn does."""

    OPEN_QUESTION = "open_question"
    CLOSED_QUESTION = "closed_question"
    REFLECTION = "reflection"
    ADVICE = "advice"
    OTHER = "other"


@dataclass(frozen=True)
class Violation:
    """One broken rule of the coaching contract and the words that broke it."""

    rule: str
    detail: str


def _alternatives(words: Iterable[str]) -> str:
    # Longest first so "and so" wins over "and".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _any(patterns: Iterable[str]) -> re.Pattern[str]:
    # Sharing one leading word boundary lets the regex engine skip ahead on the first letter,
    # which keeps a long list about four times faster than plain alternation.
    patterns = list(patterns)
    bounded = [p.removeprefix(r"\b") for p in patterns if p.startswith(r"\b")]
    others = [f"(?:{p})" for p in patterns if not p.startswith(r"\b")]
    if bounded:
        others.insert(0, r"\b(?:" + "|".join(f"(?:{p})" for p in bounded) + ")")
    return re.compile("|".join(others))


_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")
_NOTE = re.compile(r"\[[^\]\n]*\]")
_QUOTED = re.compile(r"“[^“”]*”|\"[^\"\n]*\"")
_BULLET = re.compile(r"^\s*(?:[-*•▪‣◦–—+]|\(?\d{1,2}[.)]|\(?[a-zA-Z]\))\s+")
_INLINE_ITEM = re.compile(r"(?<=[.!?:;])\s+(?=\(?\d{1,2}[.)]\s)|\s+(?=\(?\d{1,2}\)\s)")
_INFORMAL = re.compile(rf"\b(?:{'|'.join(lx.EXPANSIONS)})\b")
# A word or short phrase said twice ("can you- can you"), or a cut-off start ("wh-what").
_STUTTER = re.compile(r"\b(\w+(?: \w+){0,2})(?:-+ ?\1\b)+|\b(\w{1,3})-(?=\2\w)")
_LEAD = re.compile(
    rf"^(?:(?:{_alternatives(lx.LEAD_INS)})\b[\s,.;:!—–-]*"
    rf"|(?:{_alternatives(lx.COMMA_LEAD_INS)}),\s*)"
)
_EMOJI = "\u2600-\u27bf\U0001f000-\U0001faff\u200d\ufe0f"
_SENTENCE_END = re.compile(rf"[.?!…][.?!…{_EMOJI}]*[”\"')\]*_]*(?: *[{_EMOJI}]+)*|[{_EMOJI}]+")
_QUOTE_SPAN = re.compile(r"“[^“”]+”")
_BACKCHANNEL = re.compile(rf"^(?:(?:{_alternatives(lx.BACKCHANNELS)})\b[\s,.!-]*)+\?[?!.…]*$")
_RHETORICAL = re.compile(lx.RHETORICAL)
_QUESTION_MARK = re.compile(r"\?[?!.…]*$")
_NOT_WORD_START = re.compile(r"^[^\w']+")
_WH = frozenset(lx.WH_WORDS)
_AUX = frozenset(lx.AUXILIARIES)
_INVITE = re.compile(
    rf"^(?:(?:{_alternatives(lx.INVITATIONS)})\b|"
    + lx.ASKING_YOU.format(tell=_alternatives(lx.TELL_VERBS))
    + ")"
)
_WONDER = re.compile(lx.WONDER)
_INDIRECT_INVITE = re.compile(lx.INDIRECT_INVITE)
_PSEUDO_CLEFT = re.compile(lx.PSEUDO_CLEFT)
_TAG = re.compile(rf",\s*(?:{_alternatives(lx.TAGS)})\W*$")
_TRAILING_WH = re.compile(lx.TRAILING_WH)
_OPEN_ENDED = re.compile(lx.OPEN_ENDED)
_OPEN_ALTERNATIVE = re.compile(lx.OPEN_ALTERNATIVE)
_ASIDE = re.compile(lx.ASIDE)
# A report frame, then at most a few words of the same clause, right before the advice words.
_REPORTED = re.compile(
    # "If you feel stuck, ..." sets a condition and "Don't you think ..." asks; neither reports.
    r"(?<!\bif )(?<!\bwhen )(?<!\bonce )(?<!\bdo )(?<!\bdon't )(?<!\bdid )(?<!\bwould )"
    rf"(?<!\bcould )(?<!\bcan )(?:{lx.REPORT_FRAME})"
    r"(?: (?:like|that|as if|as though))?(?: (?!so\b|but\b|and\b|then\b)[\w']+){0,3} ?$"
)
_SUMMARY = re.compile(rf"^(?:{_alternatives(lx.SUMMARY_OPENERS)})\b")
_FACT_QUESTION = re.compile(lx.FACT_QUESTIONS)
_ADVICE_QUESTION = _any(lx.ADVICE_QUESTIONS)
_STRONG_ADVICE = _any(lx.STRONG_ADVICE)
_ADVICE_PHRASE = _any(lx.ADVICE_PHRASES)
_NUDGE = _any(lx.NUDGES)
_QUESTION_SUGGESTION = _any(lx.QUESTION_SUGGESTIONS)
_GENERAL_CLAIM = _any(lx.GENERAL_CLAIMS)
_IMPERATIVE = re.compile(rf"^(?:{_alternatives(lx.IMPERATIVE_VERBS)})\b(?!')")
_EXEMPT = re.compile(rf"^(?:{_alternatives(lx.EXEMPT_OPENERS)})\b")
_REFLECTION = re.compile(rf"^(?:{_alternatives(lx.REFLECTION_OPENERS)})\b")
_WEAK_REFLECTION = re.compile(rf"^(?:{_alternatives(lx.WEAK_REFLECTION_OPENERS)})\b")
_ABOUT_YOU = re.compile(r"\byou(?:r|rs|rself|'re|'ve|'d|'ll)?\b")
_RECAP = re.compile(r"^[^:]{1,60}: \S")
_CONDITION = re.compile(r"(?:if|when|whenever|once|before|after|next time)\b")
_CONFRONTING = _any(lx.CONFRONTING)
_CLINICAL = _any(lx.CLINICAL)
_CONTRACTIONS = {"s": "is", "re": "are", "d": "would", "ll": "will", "ve": "have", "m": "am"}


def strip_quotes(text: str) -> str:
    """Remove the member's words quoted back inside typographic (or paired straight) quotes."""
    return _QUOTED.sub(lambda m: m.group(0)[0] + m.group(0)[-1], text)


def _norm(text: str) -> str:
    """Lower-case, straighten apostrophes and collapse spaces so patterns stay simple."""
    text = _PLACEHOLDER.sub("it", text.translate(_APOSTROPHES))
    # Bracketed notes ("[laughs]", "[inaudible]") are not words anyone said.
    text = " ".join(re.sub(r"[*_~]", "", _NOTE.sub("", text)).lower().split())
    # Spoken and hurried typing repeats words ("what-what", "wh-what"); keep one.
    for _ in range(3 if "-" in text else 0):  # "wha-wha-what" needs more than one pass
        text, count = _STUTTER.subn(lambda m: m.group(1) or "", text)
        if not count:
            break
    return _INFORMAL.sub(lambda m: lx.EXPANSIONS[m.group(0)], text)


def _words(text: str) -> list[str]:
    """Return the words of a clause: "what's" reads as "what is", "isn't" stays whole."""
    words: list[str] = []
    for word in re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text):
        # Chat often drops the apostrophe: "whats", "hows".
        if word in {"whats", "hows", "wheres", "whos", "whens"}:
            word = word[:-1] + "'s"
        stem, _, tail = word.partition("'")
        words.extend([word] if word in _AUX or not tail else [stem, _CONTRACTIONS.get(tail, tail)])
    return words


def _word_before(line: str, end: int) -> str:
    start = end
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    return line[start:end].lstrip("([{\"'“").lower().rstrip(".")


def _splits_here(line: str, i: int, j: int) -> bool:
    """Decide whether the terminator run line[i:j] ends a sentence."""
    rest = line[j:].lstrip()
    if not rest:
        return True
    if not line[j].isspace():
        return False
    run = line[i:j]
    starts_upper = rest[0].isupper() or rest[0].isdigit() or not rest[0].isalnum()
    if run.rstrip().endswith("”") or "…" in run or ".." in run or run[0] not in ".?!":
        return starts_upper  # after a quote, an ellipsis or an emoji only a capital is sure
    if "?" in run or "!" in run:
        return True
    if _word_before(line, i) in lx.ABBREVIATIONS:
        return False
    # Chat text often skips capitals; a lower-case "i" still starts a new sentence.
    return starts_upper or re.match(r"i\b", rest) is not None


def _split_line(line: str) -> list[str]:
    # Stops inside the member's quoted words do not end the coach's sentence; keep only the
    # last one so that a quote closing a sentence still can.
    masked = _QUOTE_SPAN.sub(lambda m: "“" + "x" * (len(m[0]) - 3) + m[0][-2:], line)
    pieces: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(masked):
        if _splits_here(line, end.start(), end.end()):
            pieces.append(line[start : end.end()])
            start = end.end()
    return [*pieces, line[start:]]


def split_sentences(text: str) -> list[str]:
    """Split a message into sentences, treating each line and list item as its own."""
    sentences: list[str] = []
    lines = [line for line in _INLINE_ITEM.sub("\n", text).splitlines() if line.strip()]
    for line in lines:
        marker = _BULLET.match(line)
        prefix = ""
        if marker:
            # A lone "- " opens a broken-off remark, not a list; a list needs two lines.
            if len(lines) > 1 or marker.group(0).strip()[:1].isdigit():
                prefix = marker.group(0).strip() + " "
            line = line[marker.end() :]
        pieces = [p.strip() for p in _split_line(line)]
        pieces = [p for p in pieces if any(c.isalnum() for c in p)]
        if prefix and pieces:
            pieces[0] = prefix + pieces[0]
        sentences.extend(pieces)
    return sentences


def _core(sentence: str) -> str:
    """Return the coach's own words of a sentence, normalised, without trailing decoration."""
    text = _norm(strip_quotes(sentence))
    return re.sub(r"[^\w.?!…]+$", "", text)


def _head(core: str) -> str:
    """Drop list markers, punctuation and discourse lead-ins from the start of a sentence."""
    text = _BULLET.sub("", core)
    while True:
        text = _NOT_WORD_START.sub("", text)
        match = _LEAD.match(text)
        if not match or match.end() == 0:
            return text
        text = text[match.end() :]


def _lead_ins(core: str) -> list[str]:
    """Return the discourse lead-ins that _head drops, in order ("and", "so")."""
    text, found = _BULLET.sub("", core), list[str]()
    while True:
        text = _NOT_WORD_START.sub("", text)
        match = _LEAD.match(text)
        if not match or match.end() == 0:
            return found
        found.append(re.sub(r"[\W_]+$", "", match.group(0)))
        text = text[match.end() :]


def _sums_up(core: str, head: str) -> bool:
    """Tell whether a statement gives the member's view back ("So you ...", "It sounds like")."""
    return bool(_SUMMARY.match(head)) or any("so" in w.split() for w in _lead_ins(core))


def _clauses(head: str) -> list[str]:
    # "what was- did it work": a word cut off by a dash ends the clause the speaker dropped.
    return [_head(c) for c in re.split(r"[,;:—–]|\s-+\s|--|(?<=\w)-\s", head)]


def _inverted(words: list[str], strict: bool) -> bool:
    """Tell whether words open with question word order: wh + verb or verb + subject."""
    if len(words) < 2:
        return False
    first, second = words[0], words[1]
    if first in _WH:
        # "How confident are you", "Which part of it did you": a few words may sit before
        # the verb.
        # "What you said did it." states: a pronoun right after the wh-word is its subject.
        late = second not in lx.PRONOUNS and any(
            words[i] in _AUX and words[i + 1] in lx.SUBJECTS
            for i in range(2, min(len(words) - 1, 7))
        )
        return second in _AUX or second in {"about", "else"} or late
    if first not in _AUX:
        return False
    if strict and first in {"do", "don't"} and second in {"it", "that", "this"}:
        return False  # "Do it." is an instruction
    return second in (lx.SUBJECTS if strict else lx.LOOSE_SUBJECTS)


def is_question(sentence: str) -> bool:
    """Tell whether a sentence asks something: a '?' or question word order without one."""
    return _asks(_core(sentence))


def _asks(core: str) -> bool:
    """is_question on a sentence already normalised by _core."""
    if not any(c.isalnum() for c in core):
        return False
    if _QUESTION_MARK.search(core):
        return not (_BACKCHANNEL.match(core) or _RHETORICAL.search(core))
    head = _head(core)
    clauses = _clauses(head)
    if any(_INVITE.match(c) or _WONDER.match(c) for c in clauses):
        return True
    # Transcribed and typed text often ends a question with a full stop.
    strict = core[-1] in ".!…"
    words = _words(head)
    if not strict and len(words) < 3:
        return False  # "Is it--" breaks off before asking anything
    if not (strict and _PSEUDO_CLEFT.match(head)) and _inverted(words, strict):
        return True
    # "Thinking about your week, what would you change." asks after a lead-in clause.
    return any(_asks_midway(_words(c)) for c in clauses[1:])


def _asks_midway(words: list[str]) -> bool:
    """Tell whether a later clause asks: wh-word, verb and subject, or verb and person."""
    if len(words) < 3:
        return False
    if words[0] in _WH:
        verb = next((i for i, w in enumerate(words[:4]) if w in _AUX), None)
        return verb is not None and verb + 1 < len(words) and words[verb + 1] in lx.PRONOUNS
    return words[0] in _AUX and words[1] in lx.PRONOUNS - {"it"}


def _embedded(words: list[str]) -> bool:
    """Tell whether a wh-word opens a clause inside a statement rather than a question."""
    first, second = words[0], words[1] if len(words) > 1 else ""
    if not second or second in _AUX:
        return False
    # "When you get home, ...": a time or place clause, not a question about when.
    if first in lx.SUBORDINATE:
        return second not in lx.WH_MODIFIERS
    # "..., which you weren't aware of": a relative clause.
    if first == "which":
        return second in lx.LOOSE_SUBJECTS
    # "what you said", "how bad it is": the subject comes before its verb, so it is not asked.
    if second in lx.PRONOUNS:
        return True
    return first == "how" and len(words) > 2 and words[2] in lx.PRONOUNS


def _clause_kind(clause: str, first: bool) -> SentenceKind | None:
    """Say whether a clause opens an open or a closed question, or neither."""
    words = _words(clause)
    if not words:
        return None
    if _INVITE.match(clause):
        return SentenceKind.OPEN_QUESTION
    wonder = _WONDER.match(clause)
    if wonder:
        rest = _head(wonder.group("rest"))
        if _INDIRECT_INVITE.match(rest):
            return SentenceKind.OPEN_QUESTION
        if re.match(r"(?:if|whether)\b", rest):
            return SentenceKind.CLOSED_QUESTION
        return _clause_kind(rest, first=True) or SentenceKind.OPEN_QUESTION
    second = words[1] if len(words) > 1 else ""
    if words[0] in _WH:
        if _embedded(words):
            return None
        # A count, an amount or a time has one short answer, which MITI codes as closed.
        if _FACT_QUESTION.match(" ".join(words)):
            return SentenceKind.CLOSED_QUESTION
        return SentenceKind.OPEN_QUESTION
    if words[0] in _AUX and (first or second in lx.LOOSE_SUBJECTS):
        # "Is there anything else ...?" asks for more, like "What else ...?", and "Do you have
        # a sense of what ...?" asks for the member's own account.
        if _OPEN_ENDED.search(clause):
            return SentenceKind.OPEN_QUESTION
        return SentenceKind.CLOSED_QUESTION
    return None


def _question_kind(core: str) -> SentenceKind | None:
    """Say whether a question is open or closed, or None when it is a statement with a '?'."""
    head = _head(core)
    if head and _OPEN_ALTERNATIVE.search(head):
        return SentenceKind.OPEN_QUESTION
    if not head or _TAG.search(head):
        return SentenceKind.CLOSED_QUESTION
    kinds = [
        _clause_kind(clause, first=index == 0)
        for index, clause in enumerate(_clauses(head))
        if index == 0 or not _ASIDE.match(clause)
    ]
    # A speaker who starts over ("Is it-- why did she leave?") means the last question asked.
    found = [kind for kind in kinds if kind is not None]
    if found:
        return found[-1]
    if _words(head)[:1] and _words(head)[0] in lx.SUBORDINATE:
        return SentenceKind.OPEN_QUESTION
    if _TRAILING_WH.search(head):
        return SentenceKind.OPEN_QUESTION
    return None


def _directs(pattern: re.Pattern[str], core: str) -> bool:
    """Find advice words that are the coach's own, not the member's view reported back."""
    return any(not _REPORTED.search(core[: m.start()]) for m in pattern.finditer(core))


def _is_advice(core: str, head: str) -> bool:
    if _INVITE.match(head):
        return False
    if _directs(_STRONG_ADVICE, core) or _directs(_ADVICE_PHRASE, core):
        return True
    if _GENERAL_CLAIM.search(head) and not _ABOUT_YOU.search(head):
        return True
    clauses = _clauses(head)
    # An instruction can follow a condition ("When it gets busy, block an hour.") or a colon
    # ("Here is my answer: quit.").
    if _CONDITION.match(clauses[0]):
        clauses = clauses[1:2]
    after_colon = [_head(c) for c in head.split(":")[1:2]]
    return any(_IMPERATIVE.match(c) and not _EXEMPT.match(c) for c in clauses[:1] + after_colon)


def _is_reflection(sentence: str, head: str) -> bool:
    if _QUOTED.search(sentence):
        return True
    if _REFLECTION.match(head):
        return True
    return bool(_WEAK_REFLECTION.match(head)) and bool(_ABOUT_YOU.search(head))


def classify_sentence(sentence: str) -> SentenceKind:
    """Classify one sentence; advice also covers giving information or an opinion."""
    core = _core(sentence)
    head = _head(core)
    if any(_ADVICE_QUESTION.search(c) for c in _clauses(head)):
        return SentenceKind.ADVICE
    if _asks(core):
        if _directs(_NUDGE, core):
            return SentenceKind.ADVICE
        kind = _question_kind(core)
        if kind is SentenceKind.OPEN_QUESTION:
            return kind
        if _directs(_STRONG_ADVICE, core):
            return SentenceKind.ADVICE
        # "So you could ask her?" gives back what the member said; without the summing-up
        # lead it puts forward the coach's idea.
        if not _sums_up(core, head) and _directs(_QUESTION_SUGGESTION, core):
            return SentenceKind.ADVICE
        # A statement with a rising ending that sums up ("So you feel stuck?") is a reflection
        # with an upward inflection; a bare one ("You were surprised?") checks a fact, which
        # is a closed question.
        if kind is None and (_QUOTED.search(sentence) or _sums_up(core, head)):
            return SentenceKind.REFLECTION
        return SentenceKind.CLOSED_QUESTION
    if not head or _RHETORICAL.match(head):
        return SentenceKind.OTHER
    if _is_advice(core, head):
        return SentenceKind.ADVICE
    if _BULLET.match(sentence):
        # "Label: the member's words" recaps; any other list item is a step to follow.
        recap = _RECAP.match(head) or _QUOTED.search(sentence) or _is_reflection(sentence, head)
        return SentenceKind.REFLECTION if recap else SentenceKind.ADVICE
    if _is_reflection(sentence, head):
        return SentenceKind.REFLECTION
    return SentenceKind.OTHER


def is_open_question(sentence: str) -> bool:
    """Tell whether a sentence is an open question that does not smuggle in advice."""
    return classify_sentence(sentence) is SentenceKind.OPEN_QUESTION


def contains_confronting(text: str) -> bool:
    """Tell whether the coach's own words blame, order or argue."""
    return _CONFRONTING.search(_norm(strip_quotes(text))) is not None


def contains_clinical(text: str) -> bool:
    """Tell whether the coach's own words touch diagnosis, medication or diet."""
    return _CLINICAL.search(_norm(strip_quotes(text))) is not None


def _shorten(sentence: str, limit: int = 80) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _common_checks(text: str, violations: list[Violation]) -> None:
    own = _norm(strip_quotes(text))
    for rule, pattern, label in (
        ("T4", _CONFRONTING, "confronting wording"),
        ("T7", _CLINICAL, "clinical topic"),
    ):
        match = pattern.search(own)
        if match:
            violations.append(Violation(rule, f"{label}: {match.group(0).strip()}"))


def check_turn(text: str, *, allow_closed: bool = False, max_chars: int = 1500) -> list[Violation]:
    """List every rule of the coaching contract that a coach turn breaks."""
    if not text.strip():
        return [Violation("empty", "the turn has no words")]
    violations: list[Violation] = []
    if len(text) > max_chars:
        violations.append(Violation("length", f"{len(text)} characters, limit {max_chars}"))
    sentences = split_sentences(text)
    questions = [s for s in sentences if is_question(s)]
    if len(questions) > 1:
        violations.append(Violation("T1", f"{len(questions)} questions in one turn"))
    for sentence in sentences:
        kind = classify_sentence(sentence)
        if kind is SentenceKind.CLOSED_QUESTION and not allow_closed:
            violations.append(Violation("T2", f"closed question: {_shorten(sentence)}"))
        elif kind is SentenceKind.ADVICE:
            violations.append(Violation("T3", f"advice or information: {_shorten(sentence)}"))
    _common_checks(text, violations)
    return violations


def check_question(text: str) -> list[Violation]:
    """Check a static question variant: one open question and at most one neutral framing."""
    if not text.strip():
        return [Violation("empty", "the question has no words")]
    violations: list[Violation] = []
    sentences = split_sentences(text)
    questions = [s for s in sentences if is_question(s)]
    framing = [s for s in sentences if not is_question(s)]
    if len(questions) != 1:
        violations.append(Violation("T1", f"expected one question, found {len(questions)}"))
    for sentence in questions:
        kind = classify_sentence(sentence)
        if kind is SentenceKind.ADVICE:
            violations.append(Violation("T3", f"advice as a question: {_shorten(sentence)}"))
        elif kind is not SentenceKind.OPEN_QUESTION:
            violations.append(Violation("T2", f"closed question: {_shorten(sentence)}"))
    if len(framing) > 1:
        violations.append(Violation("length", f"{len(framing)} framing sentences, at most 1"))
    for sentence in framing:
        if classify_sentence(sentence) is SentenceKind.ADVICE:
            violations.append(Violation("T3", f"advice in the framing: {_shorten(sentence)}"))
    _common_checks(text, violations)
    return violations

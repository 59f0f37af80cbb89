"""Small text helpers for echoing a member's own words back to them."""

from __future__ import annotations

import re

OPEN_QUOTE, CLOSE_QUOTE = "“", "”"

_WORD = re.compile(r"[A-Za-z0-9']+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE_BREAK = re.compile(r",|;|:| - | – | — |\bbut\b|\bbecause\b|\bso that\b")
_NUMBER = re.compile(
    r"\d|\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|thousand|million|half|double|twice|percent)\b",
    re.IGNORECASE,
)

# First person to second person; keys are lower case, matched as whole words.
_SWAPS = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "im": "you're",
    "i've": "you've",
    "ive": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "am": "are",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    "we're": "you're",
    "we've": "you've",
    "we'll": "you'll",
    "we'd": "you'd",
}
_WAS_AFTER = {"i", "we"}
# Only a subject pronoun: "my ..." is often a bare noun phrase that a paraphrase would garble.
_FIRST_PERSON_START = re.compile(r"^(i|i'm|im|i've|i'd|i'll|we|we're|we've|we'll|we'd)\b", re.I)
_SECOND_PERSON = re.compile(r"\b(you|your|yours|yourself|you're|you've|you'd|you'll)\b", re.I)


def words(text: str) -> list[str]:
    """Split text into lower-case words."""
    return [w.lower() for w in _WORD.findall(text)]


def normalise(text: str) -> str:
    """Lower-case text with punctuation dropped and spaces folded."""
    return " ".join(words(text.replace("’", "'")))


def has_number(text: str) -> bool:
    """Say whether the words hold a figure of any kind."""
    return bool(_NUMBER.search(text))


def first_sentence(text: str) -> str:
    """Return the first non-empty sentence of the text."""
    for part in _SENTENCE_END.split(text.strip()):
        if part.strip():
            return part.strip()
    return ""


def excerpt(text: str, max_words: int = 16) -> str:
    """Cut the member's words to a short, faithful excerpt for quoting."""
    sentence = " ".join(first_sentence(text).split())
    tokens = sentence.split(" ")
    if len(tokens) <= max_words:
        return sentence.rstrip(".!,;: ")
    clause = _CLAUSE_BREAK.split(sentence, maxsplit=1)[0].strip()
    if 3 <= len(clause.split()) <= max_words:
        return clause.rstrip(".!,;: ") + "…"
    return " ".join(tokens[:max_words]).rstrip(".!,;: ") + "…"


def quote(text: str, max_words: int = 16) -> str:
    """Put an excerpt of the member's words in typographic quotes."""
    inner = excerpt(text, max_words).replace(OPEN_QUOTE, "'").replace(CLOSE_QUOTE, "'")
    inner = inner.replace('"', "'")
    return f"{OPEN_QUOTE}{inner}{CLOSE_QUOTE}"


def starts_first_person(text: str) -> bool:
    """Say whether the words open with I or we as their subject."""
    return bool(_FIRST_PERSON_START.match(text.strip().replace("’", "'")))


def mentions_second_person(text: str) -> bool:
    """Say whether the member spoke of 'you' (which a swap would garble)."""
    return bool(_SECOND_PERSON.search(text.replace("’", "'")))


def swap_person(text: str) -> str:
    """Turn the member's first person into second person: 'I want my' -> 'you want your'."""
    tokens = re.findall(r"[A-Za-z']+|[^A-Za-z']+", text.replace("’", "'"))
    out: list[str] = []
    previous = ""
    for token in tokens:
        low = token.lower()
        if low == "was" and previous in _WAS_AFTER:
            out.append("were")
        elif low in _SWAPS:
            out.append(_SWAPS[low])
        else:
            out.append(token)
        if token.strip():
            previous = low if re.match(r"[A-Za-z']+$", token) else previous
    return "".join(out)


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the word is an acronym or a name-like 'I'."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def join_labels(labels: list[str]) -> str:
    """Join labels as 'a, b and c'."""
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]

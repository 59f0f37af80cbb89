"""Coaching frameworks as data: the schema for framework files and their loader."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

IDENT = r"^[a-z][a-z0-9_]*$"
Ident = Annotated[str, Field(pattern=IDENT, min_length=1, max_length=40)]
Text = Annotated[str, Field(min_length=1, max_length=600)]

# Placeholders a question may use: facts handed in by the caller or earlier captures.
PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class CaptureKind(StrEnum):
    """What a stage records from the member's answer."""

    TEXT = "text"
    SCALE = "scale"
    CHOICE = "choice"
    COMMITMENT = "commitment"


class Store(StrEnum):
    """Where a capture is kept beyond the session."""

    GOAL = "goal"
    COMMITMENT = "commitment"
    STRESS_SCORE = "stress_score"


class ProbeWhen(StrEnum):
    """When a follow-up probe is asked."""

    ALWAYS = "always"
    SHORT = "short"
    NO_NUMBER = "no_number"
    NO_DUE_DATE = "no_due_date"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Option(_Strict):
    """One answer a choice stage recognises, with words that point to it."""

    id: Ident
    label: Text
    keywords: tuple[str, ...] = ()


class Probe(_Strict):
    """A follow-up question asked after the stage's main answer."""

    text: Text
    when: ProbeWhen = ProbeWhen.ALWAYS


class Capture(_Strict):
    """What the stage records and how."""

    kind: CaptureKind = CaptureKind.TEXT
    key: Ident
    store: Store | None = None
    options: tuple[Option, ...] = ()
    multiple: bool = True

    @model_validator(mode="after")
    def _check_kind(self) -> Capture:
        if self.kind is CaptureKind.CHOICE and len(self.options) < 2:
            raise ValueError("a choice capture needs at least two options")
        if self.kind is not CaptureKind.CHOICE and self.options:
            raise ValueError("only a choice capture takes options")
        if self.store is Store.COMMITMENT and self.kind is not CaptureKind.COMMITMENT:
            raise ValueError("store = 'commitment' needs kind = 'commitment'")
        if self.store is Store.STRESS_SCORE and self.kind is not CaptureKind.SCALE:
            raise ValueError("store = 'stress_score' needs kind = 'scale'")
        ids = [o.id for o in self.options]
        if len(ids) != len(set(ids)):
            raise ValueError("option ids must be unique")
        return self


class Stage(_Strict):
    """One step of a framework: its questions, what it captures and when it moves on."""

    id: Ident
    title: Text
    purpose: Text
    questions: tuple[Text, ...] = Field(min_length=1)
    reflections: tuple[Text, ...] = ()
    capture: Capture
    probes: tuple[Probe, ...] = ()
    max_probes: int = Field(default=1, ge=0, le=5)
    only_if: Ident | None = None
    summary_label: Text | None = None

    @field_validator("reflections")
    @classmethod
    def _reflection_slots(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            if "{answer}" not in text:
                raise ValueError(f"a reflection stem needs the {{answer}} slot: {text!r}")
        return value

    @property
    def label(self) -> str:
        """Name used for this stage in summaries."""
        return self.summary_label or self.title


class Framework(_Strict):
    """A coaching framework: ordered stages of open questions."""

    id: Ident
    title: Text
    purpose: Text
    version: int = Field(default=1, ge=1)
    audience: tuple[str, ...] = ()
    stages: tuple[Stage, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_stages(self) -> Framework:
        ids = [s.id for s in self.stages]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"stage ids must be unique, repeated: {', '.join(dupes)}")
        keys = [s.capture.key for s in self.stages]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"capture keys must be unique, repeated: {', '.join(dupes)}")
        known: set[str] = {"topic", "name"}
        for stage in self.stages:
            texts = list(stage.questions) + [p.text for p in stage.probes]
            for text in texts:
                for slot in PLACEHOLDER_RE.findall(text):
                    if slot not in known and not slot.startswith("fact_"):
                        raise ValueError(
                            f"stage {stage.id!r} uses {{{slot}}} before it is captured"
                        )
                _check_format(text)
            known.add(stage.capture.key)
            if stage.capture.kind is CaptureKind.SCALE:
                known.update({f"{stage.capture.key}_up"})
        if stage_without_plain_question := [
            s.id for s in self.stages if all(PLACEHOLDER_RE.search(q) for q in s.questions)
        ]:
            # A question with only placeholders may have nothing to fill it; keep a plain one.
            raise ValueError(
                "each stage needs one question without placeholders: "
                + ", ".join(stage_without_plain_question)
            )
        return self

    def stage(self, stage_id: str) -> Stage:
        """Return the stage with this id."""
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)


def _check_format(text: str) -> None:
    """Reject braces that are not simple placeholders."""
    for _, field, spec, conv in string.Formatter().parse(text):
        if field is not None and (spec or conv or not re.match(IDENT, field)):
            raise ValueError(f"bad placeholder in {text!r}")


class FrameworkError(Exception):
    """A framework file that cannot be used, with messages that name field and line."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _line_of(source: str, loc: tuple[int | str, ...]) -> int | None:
    """Find the line in a TOML source where the field at loc is set."""
    lines = source.splitlines()
    # Walk the location: array-of-table indexes count [[name]] headers, keys match `key =`.
    start = 0
    table_path = ""
    for part in loc:
        if isinstance(part, int):
            header = re.compile(rf"^\s*\[\[\s*{re.escape(table_path)}\s*\]\]")
            seen = -1
            for i in range(start, len(lines)):
                if header.match(lines[i]):
                    seen += 1
                    if seen == part:
                        start = i + 1
                        break
            continue
        key = re.compile(rf"^\s*{re.escape(str(part))}\s*=|^\s*\[\[?\s*[\w.]*{re.escape(str(part))}")
        for i in range(start, len(lines)):
            if key.match(lines[i]):
                start = i
                break
        table_path = f"{table_path}.{part}" if table_path else str(part)
    return start + 1 if loc else None


def _format_errors(source: str, err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        field = ".".join(str(p) for p in loc) or "(file)"
        line = _line_of(source, loc)
        where = f"line {line}: " if line else ""
        problems.append(f"{where}{field}: {e['msg']}")
    return problems


def parse_framework(source: str, path: Path | str = "<string>") -> Framework:
    """Parse and validate one framework from TOML text."""
    path = Path(path)
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(path, [f"not valid TOML: {exc}"]) from exc
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(path, _format_errors(source, exc)) from exc


def load_framework(path: Path) -> Framework:
    """Read and validate one framework file."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FrameworkError(path, [f"cannot read: {exc.strerror or exc}"]) from exc
    return parse_framework(source, path)


def builtin_dir() -> Path:
    """Folder of the frameworks that ship with the bot."""
    import frameworks

    return Path(frameworks.__file__).parent


class Catalogue:
    """The frameworks a bot serves, by id."""

    def __init__(self, items: Iterable[Framework]) -> None:
        self._by_id: dict[str, Framework] = {}
        for fw in items:
            if fw.id in self._by_id:
                raise ValueError(f"framework id {fw.id!r} is defined twice")
            self._by_id[fw.id] = fw

    @classmethod
    def load(cls, *folders: Path | None) -> Catalogue:
        """Load every *.toml in the built-in folder and any extra folders."""
        paths: list[Path] = []
        for folder in (builtin_dir(), *folders):
            if folder is not None:
                paths.extend(sorted(Path(folder).glob("*.toml")))
        return cls(load_framework(p) for p in paths)

    def __contains__(self, framework_id: object) -> bool:
        return framework_id in self._by_id

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._by_id.values(), key=lambda f: f.id))

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, framework_id: str) -> Framework:
        """Return a framework by id, or raise KeyError."""
        return self._by_id[framework_id]

    def ids(self) -> list[str]:
        """All framework ids, sorted."""
        return sorted(self._by_id)


FrameworkId = Literal["grow", "solution_focused", "feedback_sandwich", "stress_debrief", "star_story"]
SHIPPED: tuple[str, ...] = (
    "grow",
    "solution_focused",
    "feedback_sandwich",
    "stress_debrief",
    "star_story",
)

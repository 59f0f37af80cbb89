"""Coaching frameworks as data: the schema for framework files and their loader."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

IDENT = r"^[a-z][a-z0-9_]*$"
Ident = Annotated[str, Field(pattern=IDENT, min_length=1, max_length=40)]
Text = Annotated[str, Field(min_length=1, max_length=600)]

# Placeholders a question may use: facts handed in by the caller or earlier captures.
PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class _FieldError(ValueError):
    """A validation problem that points at a field below the model that raised it."""

    def __init__(self, loc: tuple[int | str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


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
    OUTCOME = "outcome"  # what helped or got in the way, kept with the commitment checked on


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
        if self.store is Store.OUTCOME and self.kind is not CaptureKind.TEXT:
            raise ValueError("store = 'outcome' needs kind = 'text'")
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
            if set(PLACEHOLDER_RE.findall(text)) != {"answer"}:
                raise ValueError(f"a reflection stem takes exactly the {{answer}} slot: {text!r}")
            _check_format(text)
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
    # Unlisted frameworks are started by the bot itself (a check-in), never by /coach start.
    listed: bool = True
    stages: tuple[Stage, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_stages(self) -> Framework:
        seen_ids: set[str] = set()
        seen_keys: set[str] = set()
        for n, stage in enumerate(self.stages):
            if stage.id in seen_ids:
                raise _FieldError(("stages", n, "id"), f"stage id {stage.id!r} is used twice")
            if stage.capture.key in seen_keys:
                raise _FieldError(
                    ("stages", n, "capture", "key"),
                    f"capture key {stage.capture.key!r} is used twice",
                )
            seen_ids.add(stage.id)
            seen_keys.add(stage.capture.key)
        known: set[str] = {"topic", "name"}
        for n, stage in enumerate(self.stages):
            texts: list[tuple[tuple[str | int, ...], str]]
            texts = [(("questions", i), q) for i, q in enumerate(stage.questions)]
            texts += [(("probes", i, "text"), p.text) for i, p in enumerate(stage.probes)]
            for where, text in texts:
                loc = ("stages", n, *where)
                for slot in PLACEHOLDER_RE.findall(text):
                    if slot not in known and not slot.startswith("fact_"):
                        raise _FieldError(
                            loc, f"stage {stage.id!r} uses {{{slot}}} before it is captured"
                        )
                try:
                    _check_format(text)
                except ValueError as exc:
                    raise _FieldError(loc, str(exc)) from exc
            known.add(stage.capture.key)
            if stage.capture.kind is CaptureKind.SCALE:
                known.update({f"{stage.capture.key}_up"})
        for n, s in enumerate(self.stages):
            if not any(set(PLACEHOLDER_RE.findall(q)) <= {s.only_if} for q in s.questions):
                # Any capture may have been skipped, so one variant must need nothing but only_if.
                raise _FieldError(
                    ("stages", n, "questions"),
                    f"stage {s.id!r} needs a question that uses no placeholder other than "
                    "its only_if",
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


_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([\w.\s-]+?)\s*\]")
_KEY_RE = re.compile(r"^\s*([\w-]+)\s*=")


def _line_of(source: str, loc: tuple[int | str, ...]) -> int | None:
    """Find the line in a TOML source where the field at loc is set (or its nearest parent)."""
    lines = source.splitlines()
    headers = [
        (i, "".join(m.group(2).split()), m.group(1) == "[[")
        for i, line in enumerate(lines)
        if (m := _HEADER_RE.match(line))
    ]
    # Narrow a window of lines part by part; a missing part leaves the nearest parent's line.
    lo, hi, table, found = 0, len(lines), "", None
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if isinstance(part, int):
            if found is not None:
                found = _array_item(lines, found, part)
            break
        body_end = min((h for h, _, _ in headers if lo <= h < hi), default=hi)
        key_line = next((i for i in range(lo, body_end) if _key_is(lines[i], str(part))), None)
        if key_line is not None:
            found = key_line
            # The value is inline; only an array index can be narrowed further.
            if parts and isinstance(parts[0], int):
                found = _array_item(lines, found, parts[0])
            break
        path = f"{table}.{part}" if table else str(part)
        tables = [(h, arr) for h, p, arr in headers if lo <= h < hi and p == path]
        if not tables:
            break
        index = 0
        if tables[0][1] and parts and isinstance(parts[0], int):
            index = int(parts.pop(0))
        if index >= len(tables):
            break
        found = tables[index][0]
        lo = found + 1
        hi = next((h for h, p, _ in headers if found < h < hi and not p.startswith(path + ".")), hi)
        table = path
    return found + 1 if found is not None else None


def _key_is(line: str, name: str) -> bool:
    m = _KEY_RE.match(line)
    return m is not None and m.group(1) == name


def _array_item(lines: list[str], key_line: int, index: int) -> int:
    """Line of item `index` in a multi-line array of strings, else the key's own line."""
    if not lines[key_line].rstrip().endswith("["):
        return key_line
    items = []
    for i in range(key_line + 1, len(lines)):
        stripped = lines[i].strip()
        if stripped.startswith("]"):
            break
        if stripped[:1] in {'"', "'", "{"}:
            items.append(i)
    return items[index] if index < len(items) else key_line


def _format_errors(source: str, err: ValidationError) -> list[str]:
    errors = []
    for e in err.errors():
        loc = tuple(e["loc"])
        cause = e.get("ctx", {}).get("error")
        if isinstance(cause, _FieldError):
            loc += cause.loc
        errors.append((loc, e))
    problems = []
    for loc, e in errors:
        # pydantic also calls a sequence "too short" when its items failed; say only the cause.
        nested = any(len(o) > len(loc) and o[: len(loc)] == loc for o, _ in errors)
        if e["type"] == "too_short" and nested:
            continue
        field = ".".join(str(p) for p in loc) or "(file)"
        line = _line_of(source, loc)
        where = f"line {line}: " if line else ""
        msg = e["msg"].removeprefix("Value error, ")
        problems.append(f"{where}{field}: {msg}")
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
        seen: dict[str, Path] = {}
        loaded = []
        for path in paths:
            fw = load_framework(path)
            if fw.id in seen:
                # Name both files: the mentor needs to know which one to rename.
                raise FrameworkError(path, [f"id {fw.id!r} is already used by {seen[fw.id]}"])
            seen[fw.id] = path
            loaded.append(fw)
        return cls(loaded)

    def __contains__(self, framework_id: object) -> bool:
        return framework_id in self._by_id

    def __iter__(self) -> Iterator[Framework]:
        return iter(sorted(self._by_id.values(), key=lambda f: f.id))

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, framework_id: str) -> Framework:
        """Return a framework by id, or raise KeyError."""
        return self._by_id[framework_id]

    def ids(self) -> list[str]:
        """The ids members can start, sorted."""
        return [fw.id for fw in self.listed()]

    def listed(self) -> list[Framework]:
        """The frameworks members can start, sorted by id."""
        return [fw for fw in self if fw.listed]


SHIPPED: tuple[str, ...] = (
    "grow",
    "solution_focused",
    "feedback_sandwich",
    "stress_debrief",
    "star_story",
)

"""Validate the JSON bodies a client sends against Discord's official OpenAPI document."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator, ValidationError  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.e2e.limits import check_limits

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC_PATH = REPO_ROOT.parent / "shared" / "data" / "discord-api-spec" / "openapi.json"
SPEC_URI = "urn:discord-api-spec"
NO_OPERATION = "no such operation in spec"
_API_PREFIX = re.compile(r"^/api/v\d+")
_HTTP_METHODS = ("get", "put", "post", "patch", "delete")
_MAX_MESSAGE = 200


class SpecUnavailableError(RuntimeError):
    """Raised when the OpenAPI document is not on this machine."""


def spec_path() -> Path:
    """Return where the OpenAPI document is expected (DISCORD_OPENAPI_SPEC overrides)."""
    override = os.environ.get("DISCORD_OPENAPI_SPEC")
    return Path(override) if override else DEFAULT_SPEC_PATH


@dataclass(frozen=True)
class Operation:
    """One method on one path template of the spec."""

    method: str
    template: str
    pointer: str
    definition: dict[str, Any]


class SpecValidator:
    """Match requests to spec operations and list what is wrong with their bodies."""

    def __init__(self, spec: dict[str, Any]) -> None:
        """Index the operations of an already loaded spec document."""
        _relax_snowflakes(spec)
        self._spec = spec
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT202012.create_resource(spec)
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self._routes: list[tuple[re.Pattern[str], str]] = []
        for template in spec["paths"]:
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            self._routes.append((re.compile(f"^{regex}$"), template))
        # Literal segments beat placeholders: /applications/@me before /applications/{id}.
        self._routes.sort(key=lambda route: -route[1].count("/") + route[1].count("{") / 100)

    @classmethod
    def load(cls, path: Path | None = None) -> SpecValidator:
        """Load the spec file once per process and return a validator over it."""
        return _load_cached(path or spec_path())

    def find_operation(self, method: str, path: str) -> Operation | None:
        """Return the operation a request path and method address, if the spec has one."""
        path = _API_PREFIX.sub("", path.split("?", 1)[0])
        method = method.lower()
        for regex, template in self._routes:
            item = self._spec["paths"][template]
            if regex.match(path) and method in item:
                pointer = f"/paths/{_escape(template)}/{method}"
                return Operation(method, template, pointer, item[method])
        return None

    def check(self, method: str, path: str, body: Any, *, multipart: bool = False) -> list[str]:
        """Return the violations of one request body; an empty list means it is valid."""
        operation = self.find_operation(method, path)
        where = f"{method.upper()} {path}"
        if operation is None:
            return [f"{where}: {NO_OPERATION}"]
        request_body = operation.definition.get("requestBody")
        if body is None:
            if request_body and request_body.get("required"):
                return [f"{where}: request body is required"]
            return []
        if request_body is None:
            return [f"{where}: the spec defines no request body here"]
        pointer = self._body_pointer(operation, request_body, multipart)
        if pointer is None:
            return [f"{where}: the spec has no JSON body schema here"]
        problems = [f"{where}: {p}" for p in self._schema_errors(pointer, body)]
        problems += [f"{where}: {p}" for p in check_limits(operation.template, body)]
        return problems

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Return the violations of a response body against the spec's response schema."""
        operation = self.find_operation(method, path)
        where = f"{method.upper()} {path} -> {status}"
        if operation is None:
            return [f"{where}: {NO_OPERATION}"]
        response = operation.definition.get("responses", {}).get(str(status))
        if response is None:
            return [f"{where}: the spec lists no such status"]
        if "application/json" not in response.get("content", {}):
            return []
        pointer = f"{operation.pointer}/responses/{status}/content/application~1json/schema"
        return [f"{where}: {p}" for p in self._schema_errors(pointer, body)]

    def _body_pointer(
        self, operation: Operation, request_body: dict[str, Any], multipart: bool
    ) -> str | None:
        content = request_body.get("content", {})
        base = f"{operation.pointer}/requestBody/content"
        if multipart and "multipart/form-data" in content:
            schema = content["multipart/form-data"]["schema"]
            pointer = f"{base}/multipart~1form-data/schema"
            if "payload_json" in schema.get("properties", {}):
                return f"{pointer}/properties/payload_json"
            return pointer
        if "application/json" in content:
            return f"{base}/application~1json/schema"
        return None

    def _schema_errors(self, pointer: str, instance: Any) -> list[str]:
        validator = self._validators.get(pointer)
        if validator is None:
            ref = {"$ref": f"{SPEC_URI}#{quote(pointer, safe='/~')}"}
            validator = Draft202012Validator(ref, registry=self._registry)
            self._validators[pointer] = validator
        problems: list[str] = []
        for error in validator.iter_errors(instance):
            for leaf in _narrow(error):
                message = leaf.message
                if len(message) > _MAX_MESSAGE:
                    message = message[:_MAX_MESSAGE] + "..."
                problems.append(f"{leaf.json_path}: {message}")
        return problems


@cache
def _load_cached(path: Path) -> SpecValidator:
    if not path.is_file():
        raise SpecUnavailableError(f"Discord OpenAPI spec not found at {path}")
    return SpecValidator(json.loads(path.read_text(encoding="utf-8")))


def _relax_snowflakes(spec: dict[str, Any]) -> None:
    # discord.py sends some ids (recipient_id, allowed_mentions.users...) as integers.
    schemas = spec["components"]["schemas"]
    original = schemas["SnowflakeType"]
    if "anyOf" not in original:
        schemas["SnowflakeType"] = {"anyOf": [original, {"type": "integer", "minimum": 0}]}


def _escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


def _narrow(error: ValidationError) -> list[ValidationError]:
    """Descend into the one union branch whose discriminator matched, for readable errors."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    viable = [errs for errs in branches.values() if not any(map(_is_discriminator_miss, errs))]
    if len(viable) != 1:
        return [error]
    return [leaf for sub in viable[0] for leaf in _narrow(sub)]


def _is_discriminator_miss(error: ValidationError) -> bool:
    path = list(error.relative_path)
    if not path:
        return bool(error.validator == "type")
    return path == ["type"] and error.validator in ("enum", "const", "type")

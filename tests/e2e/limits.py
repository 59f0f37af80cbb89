"""Check the documented Discord limits that the OpenAPI spec does not encode."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_MODAL_COMPONENTS = 5
MODAL_CALLBACK = 9


def check_limits(template: str, body: Any) -> list[str]:
    """Return the limit violations of one request body sent to a spec path template."""
    if not isinstance(body, dict):
        return []
    if template.endswith("/callback"):
        data = body.get("data")
        if not isinstance(data, dict):
            return []
        if body.get("type") == MODAL_CALLBACK:
            return check_modal(data)
        return check_message(data)
    problems = check_message(body)
    # A forum post carries its first message nested under "message".
    if isinstance(body.get("message"), dict):
        problems += check_message(body["message"])
    return problems


def check_message(body: dict[str, Any]) -> list[str]:
    """Return the content, embed and custom_id violations of one message body."""
    problems: list[str] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        problems.append(f"content has {len(content)} characters, limit {MAX_CONTENT}")
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        if len(embeds) > MAX_EMBEDS:
            problems.append(f"{len(embeds)} embeds, limit {MAX_EMBEDS}")
        total = sum(embed_length(e) for e in embeds if isinstance(e, dict))
        if total > MAX_EMBED_TOTAL:
            problems.append(f"embeds total {total} characters, limit {MAX_EMBED_TOTAL}")
    problems += _duplicate_custom_ids(body.get("components"))
    return problems


def check_modal(data: dict[str, Any]) -> list[str]:
    """Return the violations of one modal body (callback type 9 data)."""
    problems: list[str] = []
    components = data.get("components")
    if isinstance(components, list) and len(components) > MAX_MODAL_COMPONENTS:
        problems.append(
            f"modal has {len(components)} top-level components, limit {MAX_MODAL_COMPONENTS}"
        )
    problems += _duplicate_custom_ids(components)
    return problems


def embed_length(embed: dict[str, Any]) -> int:
    """Count the characters Discord adds up towards the 6000-character embed total."""
    parts: list[Any] = [embed.get("title"), embed.get("description")]
    for field in embed.get("fields") or []:
        if isinstance(field, dict):
            parts += [field.get("name"), field.get("value")]
    for key, inner in (("footer", "text"), ("author", "name")):
        holder = embed.get(key)
        if isinstance(holder, dict):
            parts.append(holder.get(inner))
    return sum(len(p) for p in parts if isinstance(p, str))


def iter_custom_ids(node: Any) -> Iterator[str]:
    """Yield every custom_id in a component tree, however deeply it is nested."""
    if isinstance(node, list):
        for item in node:
            yield from iter_custom_ids(item)
    elif isinstance(node, dict):
        custom_id = node.get("custom_id")
        if isinstance(custom_id, str):
            yield custom_id
        # Rows nest under "components", labels under "component", sections under "accessory".
        for key in ("components", "component", "accessory"):
            if key in node:
                yield from iter_custom_ids(node[key])


def _duplicate_custom_ids(components: Any) -> list[str]:
    counts = Counter(iter_custom_ids(components))
    return [
        f"custom_id {cid!r} used {n} times in one message" for cid, n in counts.items() if n > 1
    ]

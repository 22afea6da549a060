"""Discord's documented limits on a message payload, checked the way Discord rejects them (400, 50035)."""

from __future__ import annotations


def problems(payload: dict) -> list[str]:
    """Every limit a message create/edit payload breaks (empty when Discord would accept it)."""
    found = []
    content = payload.get("content") or ""
    if len(content) > 2000:
        found.append(f"content has {len(content)} characters (max 2000)")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        found.append(f"{len(embeds)} embeds (max 10)")
    total = 0
    for number, embed in enumerate(embeds):
        total += _embed_problems(embed, number, found)
    if total > 6000:
        found.append(f"embeds total {total} characters (max 6000)")
    rows = payload.get("components") or []
    if len(rows) > 5:
        found.append(f"{len(rows)} component rows (max 5)")
    for row in rows:
        buttons = row.get("components", [])
        if row.get("type") != 1 or not 1 <= len(buttons) <= 5:
            found.append(f"an action row holds {len(buttons)} components (1 to 5)")
        for button in buttons:
            if len(button.get("label") or "") > 80 or len(button.get("custom_id") or "") > 100:
                found.append("a button label or custom_id is too long")
    return found


def _embed_problems(embed: dict, number: int, found: list[str]) -> int:
    sizes = {
        "title": (len(embed.get("title") or ""), 256),
        "description": (len(embed.get("description") or ""), 4096),
        "footer": (len((embed.get("footer") or {}).get("text") or ""), 2048),
        "author": (len((embed.get("author") or {}).get("name") or ""), 256),
    }
    fields = embed.get("fields") or []
    if len(fields) > 25:
        found.append(f"embed {number} has {len(fields)} fields (max 25)")
    for field in fields:
        if len(field.get("name") or "") > 256 or len(field.get("value") or "") > 1024:
            found.append(f"embed {number} has a field over 256/1024 characters")
    for name, (size, limit) in sizes.items():
        if size > limit:
            found.append(f"embed {number} {name} has {size} characters (max {limit})")
    return sum(size for size, _ in sizes.values()) + sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)


def is_empty(payload: dict) -> bool:
    """Discord refuses a message with nothing in it (50006)."""
    return not (payload.get("content") or payload.get("embeds") or payload.get("components")
                or payload.get("attachments") or payload.get("sticker_ids") or payload.get("poll"))

"""Parsing of task ids typed or pasted into a chat."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Task ids are UUIDs in their canonical 8-4-4-4-12 hexadecimal form.
_UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Characters that copying from web pages and chat clients leaves around an id: zero-width
# spaces and joiners, the word joiner and the byte order mark.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

# Quotes and brackets that people put around a pasted id.
_WRAPPERS = "`'\"<>()[]{}“”‘’«»"

_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(slots=True)
class ParsedIds:
    """Task ids from a command's text: the well-formed ones without repeats, in the order typed."""

    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def normalize_task_id(text: str) -> str | None:
    """Return the canonical lower-case form of one task id, or None when it is not a UUID."""
    candidate = text.translate(_INVISIBLE).strip().strip(_WRAPPERS).lower()
    if _UUID_PATTERN.fullmatch(candidate):
        return candidate
    return None


def parse_task_ids(text: str) -> ParsedIds:
    """Split text on spaces, commas, semicolons and new lines into valid and invalid task ids."""
    parsed = ParsedIds()
    seen_valid: set[str] = set()
    seen_invalid: set[str] = set()

    for word in _SEPARATORS.split(text.translate(_INVISIBLE)):
        if not word.strip(_WRAPPERS):
            continue

        task_id = normalize_task_id(word)
        if task_id is None:
            if word not in seen_invalid:
                seen_invalid.add(word)
                parsed.invalid.append(word)
        elif task_id not in seen_valid:
            seen_valid.add(task_id)
            parsed.valid.append(task_id)

    return parsed

"""Measuring, cutting and splitting text in Telegram's HTML parse mode.

Telegram counts a message's length in UTF-16 code units after it has parsed the markup, so
tags count for nothing and an entity such as `&amp;` counts as the one character it stands for.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.limits import MAX_TEXT_LENGTH

_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
_ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape plain text for Telegram's HTML parse mode, which needs only <, > and &."""
    return html.escape(text, quote=False)


def plain_text(markup: str) -> str:
    """Return the text Telegram shows for HTML markup: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible_length(markup: str) -> int:
    """Return the length Telegram counts for HTML markup: its text without tags, entities decoded."""
    return sum(_weight(token) for token in _TOKEN.findall(markup))


def cut_plain(text: str, max_length: int) -> str:
    """Cut plain text to at most `max_length` UTF-16 code units, ending with "…" when cut.

    The cut falls on a space when there is one in the last fifth of the kept text, and never
    between the two halves of a surrogate pair.
    """
    if utf16_length(text) <= max_length:
        return text
    if max_length < 1:
        return ""

    budget = max_length - utf16_length(_ELLIPSIS)
    kept: list[str] = []
    used = 0
    for character in text:
        width = utf16_length(character)
        if used + width > budget:
            break
        kept.append(character)
        used += width

    cut = "".join(kept)
    space = cut.rfind(" ")
    if space >= len(cut) * 4 // 5:
        cut = cut[:space]
    return cut.rstrip() + _ELLIPSIS


@dataclass(slots=True)
class _LineBreak:
    """A point after a new line where a chunk may end, with the tags open there."""

    index: int
    length: int
    open_tags: list[tuple[str, str]]


def split_html(markup: str, max_length: int = MAX_TEXT_LENGTH) -> list[str]:
    """Split HTML markup into messages of at most `max_length` visible UTF-16 code units.

    Chunks end after a new line when one falls in the second half of the chunk, else at the
    limit. A split never falls inside a tag or an entity: tags open at the split are closed at
    the end of one chunk and opened again at the start of the next.
    """
    chunks: list[str] = []
    # Tags count for nothing and an entity for less than its own length, so markup no longer
    # than the limit fits in one message, and the walk through its characters is skipped.
    if utf16_length(markup) <= max_length:
        _append_chunk(chunks, markup)
        return chunks

    current: list[str] = []
    length = 0
    open_tags: list[tuple[str, str]] = []
    line_break: _LineBreak | None = None

    for token in _TOKEN.findall(markup):
        if token.startswith("<") and len(token) > 1:
            _track_tag(token, open_tags)
            current.append(token)
            continue

        width = _weight(token)
        if length + width > max_length and length > 0:
            if line_break is not None and line_break.length >= max_length // 2:
                head, tail = current[: line_break.index], current[line_break.index :]
                tags_at_split = line_break.open_tags
            else:
                head, tail = current, []
                tags_at_split = list(open_tags)

            _append_chunk(chunks, "".join(head) + _closing_tags(tags_at_split))
            current = [tag for _, tag in tags_at_split] + tail
            length = sum(_weight(piece) for piece in tail)
            line_break = None

        current.append(token)
        length += width
        if token == "\n":
            line_break = _LineBreak(len(current), length, list(open_tags))

    _append_chunk(chunks, "".join(current))
    return chunks


def _append_chunk(chunks: list[str], chunk: str) -> None:
    # Telegram rejects a message with no visible text, so a chunk of tags and spaces is dropped.
    if plain_text(chunk).strip():
        chunks.append(chunk.strip("\n"))


def _weight(token: str) -> int:
    if len(token) == 1:
        # A character outside the Basic Multilingual Plane takes two UTF-16 code units.
        return 2 if ord(token) > 0xFFFF else 1
    if token.startswith("<"):
        return 0
    if token.startswith("&"):
        return utf16_length(html.unescape(token))
    return utf16_length(token)


def _track_tag(tag: str, open_tags: list[tuple[str, str]]) -> None:
    match = _TAG_NAME.match(tag)
    if match is None:
        return
    name = match.group(1).lower()
    if tag.startswith("</"):
        for position in range(len(open_tags) - 1, -1, -1):
            if open_tags[position][0] == name:
                del open_tags[position:]
                break
    else:
        open_tags.append((name, tag))


def _closing_tags(open_tags: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(open_tags))

"""Telegram's HTML parse mode as the fake Bot API server checks it.

Telegram accepts a fixed set of tags, needs `<`, `>` and `&` escaped outside tags, and counts
a text's length in UTF-16 code units after parsing. A text that breaks these rules gets
`400 Bad Request: can't parse entities: ...`.
"""

from __future__ import annotations

import html
import re

SUPPORTED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)

_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]")


class EntityParseError(ValueError):
    """The markup is not valid Telegram HTML; the message is Telegram's description."""


def parse_html(markup: str) -> str:
    """Return the visible text of Telegram HTML markup, or raise EntityParseError."""
    visible: list[str] = []
    stack: list[str] = []
    position = 0

    for match in _TOKEN.finditer(markup):
        visible.append(markup[position : match.start()])
        position = match.end()
        token = match.group(0)
        byte_offset = len(markup[: match.start()].encode("utf-8"))

        if token in ("<", ">", "&"):
            raise EntityParseError(
                f"Bad Request: can't parse entities: Unexpected character {token!r} "
                f"at byte offset {byte_offset}"
            )
        if match.group(4) is not None:
            visible.append(html.unescape(token))
            continue

        closing, name = match.group(1), match.group(2).lower()
        if name not in SUPPORTED_TAGS:
            raise EntityParseError(
                f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" '
                f"at byte offset {byte_offset}"
            )
        if not closing:
            stack.append(name)
        elif not stack or stack[-1] != name:
            raise EntityParseError(
                f'Bad Request: can\'t parse entities: Unmatched end tag at byte offset '
                f'{byte_offset}, expected "</{stack[-1] if stack else ""}>", found "</{name}>"'
            )
        else:
            stack.pop()

    visible.append(markup[position:])
    if stack:
        raise EntityParseError(
            "Bad Request: can't parse entities: Can't find end tag corresponding to start "
            f'tag "{stack[-1]}"'
        )
    return "".join(visible)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2

"""Parsing `/imagine` and `/edit`: a prompt with options such as `--ar 16:9`, and image URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.i18n import N_, LazyText
from bot.images_api import ASPECT_RATIOS, MAX_COUNT, MIN_COUNT, MODELS, RESOLUTIONS

# Option names as typed, long and short, and the field each sets.
_OPTIONS = {
    "model": "model",
    "m": "model",
    "ar": "aspect_ratio",
    "aspect-ratio": "aspect_ratio",
    "res": "resolution",
    "resolution": "resolution",
    "n": "count",
    "count": "count",
}
OPTION_HELP = "--model, --ar, --res, --n"

_TOKEN = re.compile(r"\S+")
# Phone keyboards turn "--" into an en or em dash; such a dash starts an option too.
_OPTION_START = re.compile(r"^(?:--|—|–)(?=[A-Za-z])")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


class ArgumentError(ValueError):
    """An option or value the user typed is not valid. The message, a LazyText, names it and
    the fix."""


@dataclass(slots=True)
class CreateArguments:
    prompt: str = ""
    model: str | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    count: int | None = None
    image_urls: list[str] = field(default_factory=list)


def parse_create_arguments(text: str, *, collect_urls: bool = False) -> CreateArguments:
    """Split a command's text into its prompt and options, checking each option's value.

    With `collect_urls`, words that are http(s) URLs are image URLs, not part of the prompt.
    Raises ArgumentError naming the first invalid option or value.
    """
    arguments = CreateArguments()
    seen: set[str] = set()
    removed: list[tuple[int, int]] = []
    tokens = list(_TOKEN.finditer(text))

    position = 0
    while position < len(tokens):
        token = tokens[position]
        word = token.group(0)
        option = _OPTION_START.match(word)

        if collect_urls and _URL.match(word):
            arguments.image_urls.append(word)
            removed.append(token.span())
        elif option is not None:
            name, _, value = word[option.end() :].partition("=")
            end = token.end()
            if not value:
                if position + 1 >= len(tokens) or _OPTION_START.match(tokens[position + 1].group(0)):
                    raise ArgumentError(
                        N_("The option --{name} needs a value, such as {example}.",
                           name=name, example=_example(name))
                    )
                position += 1
                value = tokens[position].group(0)
                end = tokens[position].end()
            _set_option(arguments, name, value, seen)
            removed.append((token.start(), end))
        position += 1

    arguments.prompt = _without_spans(text, removed)
    return arguments


def _set_option(arguments: CreateArguments, name: str, value: str, seen: set[str]) -> None:
    field_name = _OPTIONS.get(name.lower())
    if field_name is None:
        raise ArgumentError(
            N_(
                "Unknown option --{name}. The options are {options}.",
                name=name,
                options=OPTION_HELP,
            )
        )
    if field_name in seen:
        raise ArgumentError(N_("The option --{name} is given twice. Give it once.", name=name))
    seen.add(field_name)

    if field_name == "model":
        invalid = N_("{value!r} is not a valid model. Use one of: {allowed}.",
                     value=value, allowed=", ".join(MODELS))
        arguments.model = _one_of(value.lower(), MODELS, invalid)
    elif field_name == "aspect_ratio":
        invalid = N_("{value!r} is not a valid aspect ratio. Use one of: {allowed}.",
                     value=value, allowed=", ".join(ASPECT_RATIOS))
        arguments.aspect_ratio = _one_of(value, ASPECT_RATIOS, invalid)
    elif field_name == "resolution":
        invalid = N_("{value!r} is not a valid resolution. Use one of: {allowed}.",
                     value=value, allowed=", ".join(RESOLUTIONS))
        arguments.resolution = _one_of(value.upper(), RESOLUTIONS, invalid)
    else:
        arguments.count = _count(value)


def _one_of(value: str, allowed: tuple[str, ...], invalid: LazyText) -> str:
    if value not in allowed:
        raise ArgumentError(invalid)
    return value


def _count(value: str) -> int:
    if not value.isdigit() or not MIN_COUNT <= int(value) <= MAX_COUNT:
        raise ArgumentError(
            N_(
                "{value!r} is not a valid number of images. Use a whole number from {min} to "
                "{max}.",
                value=value,
                min=MIN_COUNT,
                max=MAX_COUNT,
            )
        )
    return int(value)


def _example(name: str) -> str:
    examples = {"model": "--model nano-banana-pro", "aspect_ratio": "--ar 16:9",
                "resolution": "--res 2K", "count": "--n 2"}
    return examples.get(_OPTIONS.get(name.lower(), ""), "--ar 16:9")


def _without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    pieces = []
    start = 0
    for span_start, span_end in sorted(spans):
        pieces.append(text[start:span_start])
        start = span_end
    pieces.append(text[start:])
    prompt = "".join(pieces)
    # Removing options leaves runs of spaces; new lines the user typed are kept.
    prompt = re.sub(r"[ \t]{2,}", " ", prompt)
    return "\n".join(line.strip() for line in prompt.strip().splitlines()).strip()

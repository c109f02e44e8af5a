"""Parsing the prompt and options of /imagine and /edit."""

from __future__ import annotations

import pytest

from bot.create_args import ArgumentError, parse_create_arguments


def test_prompt_without_options():
    arguments = parse_create_arguments("  a white siamese cat  ")

    assert arguments.prompt == "a white siamese cat"
    assert arguments.model is None
    assert arguments.aspect_ratio is None
    assert arguments.resolution is None
    assert arguments.count is None


def test_every_option_anywhere():
    arguments = parse_create_arguments(
        "--model nano-banana-pro a cat --ar 16:9 on the moon --res 2k --n=3"
    )

    assert arguments.prompt == "a cat on the moon"
    assert arguments.model == "nano-banana-pro"
    assert arguments.aspect_ratio == "16:9"
    assert arguments.resolution == "2K"
    assert arguments.count == 3


def test_long_names_and_phone_dashes():
    arguments = parse_create_arguments("a dog —aspect-ratio 9:16 –count 2 --resolution=4K")

    assert arguments.prompt == "a dog"
    assert arguments.aspect_ratio == "9:16"
    assert arguments.count == 2
    assert arguments.resolution == "4K"


def test_new_lines_in_prompt_kept():
    arguments = parse_create_arguments("line one --n 2\nline two")

    assert arguments.prompt == "line one\nline two"


def test_dashes_inside_words_stay_in_prompt():
    arguments = parse_create_arguments("a well-lit room -- quiet, 1--2 people")

    assert arguments.prompt == "a well-lit room -- quiet, 1--2 people"


def test_urls_collected_for_edit():
    arguments = parse_create_arguments(
        "https://cdn.example/a.png add a hat http://cdn.example/b.jpg?x=1", collect_urls=True
    )

    assert arguments.image_urls == ["https://cdn.example/a.png", "http://cdn.example/b.jpg?x=1"]
    assert arguments.prompt == "add a hat"


def test_urls_stay_in_prompt_for_imagine():
    arguments = parse_create_arguments("in the style of https://example.com/style.png")

    assert arguments.image_urls == []
    assert arguments.prompt == "in the style of https://example.com/style.png"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cat --model dalle", "'dalle' is not a valid model. Use one of: nano-banana, "
         "nano-banana-2-lite, nano-banana-2, nano-banana-pro."),
        ("cat --ar 5:4", "'5:4' is not a valid aspect ratio. Use one of: 1:1, 3:2, 2:3, 16:9, "
         "9:16, 4:3, 3:4."),
        ("cat --res 8K", "'8K' is not a valid resolution. Use one of: 1K, 2K, 4K."),
        ("cat --n 5", "'5' is not a valid number of images. Use a whole number from 1 to 4."),
        ("cat --n two", "'two' is not a valid number of images. Use a whole number from 1 to 4."),
        ("cat --n 0", "'0' is not a valid number of images. Use a whole number from 1 to 4."),
        ("cat --style anime", "Unknown option --style. The options are --model, --ar, --res, --n."),
        ("cat --ar", "The option --ar needs a value, such as --ar 16:9."),
        ("cat --n --ar 1:1", "The option --n needs a value, such as --n 2."),
        ("cat --ar 1:1 --ar 3:2", "The option --ar is given twice. Give it once."),
    ],
)
def test_invalid_option_named(text, message):
    with pytest.raises(ArgumentError) as raised:
        parse_create_arguments(text)

    assert str(raised.value) == message


def test_only_options_leave_empty_prompt():
    assert parse_create_arguments("--ar 1:1 --n 2").prompt == ""

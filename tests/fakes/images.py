"""Real image bytes for the fakes to serve, made with Pillow."""

from __future__ import annotations

import io
import random

from PIL import Image


def png_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (250, 200, 40)) -> bytes:
    """Return a PNG of one color."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (40, 120, 250)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def noise_png_bytes(width: int, height: int, seed: int = 7) -> bytes:
    """Return a PNG of random pixels, which does not compress: about 3 bytes a pixel."""
    generator = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), generator.randbytes(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()

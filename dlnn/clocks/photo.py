"""Clock photos from users: checked before decoding, then made the grey square a model reads.

A photo comes as a path, bytes or an upload (a binary file object). Its header is checked
before any pixel is decoded: the picture must be at least 16x16 pixels (a 1x1 image is no
clock) and at most 40 megapixels as decoded. JPEGs are decoded at 1/2, 1/4 or 1/8 scale when
that still covers the model's image, so a 10,000x10,000 JPEG costs a 1,250x1,250 decode, while
a 30,000x30,000 PNG (3.6 GB of pixels) is refused in microseconds. Grey levels must map onto
8 bits: 16-bit pictures are scaled down explicitly (value / 257); 32-bit integer and float
pictures are refused, since no fixed grey scale maps them onto a photograph. Every refusal is a
`ValueError` with one line that names the picture, the bound and why. The decoded picture is
then framed (`dlnn.clocks.framing.frame_clock`): the clock's centre and radius are measured and
the picture cropped so the clock sits centred and as large as the models learnt it.

Example:
    >>> clock = read_clock_photo("kitchen-clock.jpg", size=96)
    >>> clock.shape, clock.dtype
    ((96, 96), dtype('uint8'))
"""

from __future__ import annotations

import io
import os
import warnings
from typing import IO

import numpy as np
from PIL import Image

# Decoded pixels allowed: 40 megapixels of RGBA are 160 MB while decoding (a phone photo has
# 12-50 MP, and JPEGs shrink while decoding); a bigger picture takes seconds and gigabytes.
MAX_PHOTO_PIXELS = 40_000_000
MIN_PHOTO_SIDE = 16  # the smallest clock image a model reads
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N")
_EIGHT_BIT = ("1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr",
              "LAB", "HSV")
_MODE_NAMES = {"F": "32-bit float", "I": "32-bit integer"}

PhotoSource = str | os.PathLike | bytes | IO[bytes]


def read_clock_photo(source: PhotoSource, size: int) -> np.ndarray:
    """A photo as a grey (size, size) uint8 clock image, framed round the clock it shows.

    Args:
        source: a path, the file's bytes, or a binary file object (a Streamlit upload).
        size: the side of the image the model reads (`RunConfig.image_size`).

    Raises:
        ValueError: one line naming the photo and what is wrong (not an image, too small,
            too many pixels, a pixel format without an 8-bit grey scale, a damaged file).
    """
    from dlnn.clocks.framing import frame_clock

    return frame_clock(_read_grey(source, size), size)


def read_photo_picture(source: PhotoSource, side: int) -> np.ndarray:
    """A photo as a grey (side, side) uint8 picture, the whole photo kept: the longer side
    scaled to `side` and the shorter one padded with the grey of its border. What a learned
    locator (`dlnn.clocks.locator`) reads, as it reads a generated picture of that size.

    Raises the ValueErrors of `read_clock_photo`.
    """
    return square_picture(_read_grey(source, side // 2), side)


def square_picture(image: np.ndarray | Image.Image, side: int) -> np.ndarray:
    """Any grey picture as (side, side) uint8: scaled so its longer side is `side`, the
    shorter one padded evenly with the median grey of the picture's border."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    picture = picture.convert("L")
    grey = np.asarray(picture)
    border = int(np.median(np.concatenate([grey[[0, -1]].ravel(), grey[:, [0, -1]].ravel()])))
    scale = side / max(picture.size)
    width, height = (max(1, round(length * scale)) for length in picture.size)
    canvas = Image.new("L", (side, side), border)
    canvas.paste(picture.resize((width, height), Image.BILINEAR, reducing_gap=2.0),
                 ((side - width) // 2, (side - height) // 2))
    return np.asarray(canvas, dtype=np.uint8)


def _read_grey(source: PhotoSource, size: int) -> Image.Image:
    """The photo checked and decoded in 8-bit grey (JPEGs at a scale still >= 2 x `size`)."""
    name = _name(source)
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    elif hasattr(source, "seek"):
        source.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we check it below
        try:
            picture = Image.open(source)  # reads the header only
        except Image.DecompressionBombError as error:
            raise ValueError(f"{name}: {error}; {_too_large()}") from None
        except (OSError, SyntaxError, ValueError) as error:
            raise ValueError(f"{name}: cannot be read as an image ({error})") from None
    with picture:
        # JPEG only: decode at a scale still >= twice the size (a clock may fill half of it)
        picture.draft("L", (2 * size, 2 * size))
        _check_size(picture.size, name)
        if picture.mode not in (*_EIGHT_BIT, *_SIXTEEN_BIT):
            raise ValueError(
                f"{name}: {picture.mode} pixels ({_MODE_NAMES.get(picture.mode, 'unusual')}) "
                "have no fixed grey scale; save the photo as an 8-bit PNG or JPEG")
        try:
            grey = _grey(picture)
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise ValueError(f"{name}: the image data is damaged ({error})") from None
    return grey


def _name(source: PhotoSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", None) or "the photo")


def _too_large() -> str:
    return (f"the clock reader decodes at most {MAX_PHOTO_PIXELS // 1_000_000} megapixels (more "
            "takes seconds and gigabytes); scale the photo down first")


def _check_size(dimensions: tuple[int, int], name: str) -> None:
    width, height = dimensions
    if min(width, height) < MIN_PHOTO_SIDE:
        raise ValueError(f"{name}: a {width}x{height} picture is too small to show a clock; "
                         f"it needs at least {MIN_PHOTO_SIDE}x{MIN_PHOTO_SIDE} pixels")
    if width * height > MAX_PHOTO_PIXELS:
        raise ValueError(f"{name}: {width}x{height} is {width * height / 1e6:.0f} megapixels; "
                         f"{_too_large()}")


def _grey(picture: Image.Image) -> Image.Image:
    """The decoded picture in 8-bit grey; 16-bit levels are scaled, never clipped."""
    if picture.mode in _SIXTEEN_BIT:
        levels = np.asarray(picture, dtype=np.uint32)
        return Image.fromarray(((levels + 128) // 257).astype(np.uint8), mode="L")
    return picture.convert("L")

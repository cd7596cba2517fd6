"""Phone-like photos for benchmarks: 12 megapixels, a few MB, with the EXIF a phone writes.

Made fast with numpy and Pillow: smooth colour gradients computed at low resolution and scaled
up, some shapes, and sensor-like noise over the full frame so that the JPEG does not compress to
nothing (about 4 MB at 4000 x 3000, like a phone's photo). About half a second each; the same
seed gives the same bytes.
"""

import io
from datetime import datetime, timedelta

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from fixtures.photos import exif

NAALDWIJK = (4.205, 51.995)  # lon, lat
_ORIENTATIONS = (1, 1, 6, 6, 6, 8, 3)  # mostly upright or held upright (portrait)


def phone_exif(rng: np.random.Generator) -> Image.Exif:
    """Orientation, DateTimeOriginal with its offset, and GPS within ~150 m of Naaldwijk."""
    taken = datetime(2026, 5, 14, 9, 0) + timedelta(seconds=int(rng.integers(0, 8 * 3600)))
    lon = NAALDWIJK[0] + rng.uniform(-0.002, 0.002)  # ~140 m east-west
    lat = NAALDWIJK[1] + rng.uniform(-0.001, 0.001)  # ~110 m north-south
    tags = exif(
        orientation=int(rng.choice(_ORIENTATIONS)),
        taken=taken.strftime("%Y:%m:%d %H:%M:%S"),
        offset="+02:00",
        gps=(lon, lat),
    )
    tags[0x0110] = "Phone 12MP"  # Model
    return tags


def _grain(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Gaussian noise (sigma 10) around 128: a 1024 px tile, repeated (JPEG cannot tell)."""
    tile = np.clip(rng.normal(128, 10, (1024, 1024)), 0, 255).astype(np.uint8)
    reps = (-(-height // 1024), -(-width // 1024))
    return np.ascontiguousarray(np.tile(tile, reps)[:height, :width])


def phone_jpeg(seed: int, width: int = 4000, height: int = 3000, *, exif: bool = True) -> bytes:
    rng = np.random.default_rng(seed)
    low_w, low_h = max(2, width // 10), max(2, height // 10)
    y = np.linspace(0, 1, low_h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, low_w, dtype=np.float32)[None, :]
    a, b, c = rng.uniform(0.5, 3.0, 3)
    low = np.empty((low_h, low_w, 3), np.float32)
    low[..., 0] = 128 + 90 * np.sin(3 * a * x + b * y)
    low[..., 1] = 128 + 80 * np.cos(2 * b * y - c * x)
    low[..., 2] = 110 + 70 * np.sin(4 * c * (x + y))
    small = Image.fromarray(np.clip(low, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(small)
    for _ in range(25):  # walls, windows, beds
        left, top = int(rng.integers(0, low_w)), int(rng.integers(0, low_h))
        right = left + int(rng.integers(3, max(4, low_w // 5)))
        bottom = top + int(rng.integers(3, max(4, low_h // 5)))
        draw.rectangle(
            (left, top, right, bottom), fill=tuple(int(v) for v in rng.integers(0, 256, 3))
        )
    image = small.resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.fromarray(_grain(rng, width, height), "L")  # sensor noise, centred on 128
    image = ImageChops.add(image, Image.merge("RGB", (grain, grain, grain)), 1.0, -128)
    buffer = io.BytesIO()
    options = {"exif": phone_exif(rng)} if exif else {}
    image.save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a comment (COM segment) after its APPn segments (JFIF, EXIF, ...).

    Other bytes, so another SHA-256, and the same pixels and EXIF, without decoding or
    re-encoding anything: a copy of the bytes, a few milliseconds for 4 MB.
    """
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG: no SOI marker")
    at = 2
    while jpeg[at] == 0xFF and 0xE0 <= jpeg[at + 1] <= 0xEF:  # APP0 .. APP15
        at += 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
    payload = text.encode()
    if len(payload) > 0xFFFF - 2:
        raise ValueError("a JPEG comment holds at most 65,533 bytes")
    return jpeg[:at] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[at:]

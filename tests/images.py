"""Images for tests, made with Pillow on the fly: no binary files in the repository.

Every builder returns the encoded bytes. Photos carry a marker to check orientation: the
top-left quarter of the stored pixels is red, the rest blue, so after turning a photo upright by
its EXIF orientation one knows where red must end up.
"""

import io
from datetime import datetime

import numpy as np
import pillow_heif
from django.contrib.gis.geos import Point
from PIL import Image, ImageCms

from fixtures.photos import (  # noqa: F401 - the tests build EXIF through these
    DATE_TIME_ORIGINAL,
    EXIF_IFD,
    GPS_IFD,
    OFFSET_TIME_ORIGINAL,
    ORIENTATION,
    SUBSEC_TIME_ORIGINAL,
    exif,
    rational_dms,
)

pillow_heif.register_heif_opener()

RED = (220, 30, 30)
BLUE = (30, 60, 200)


def marked(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Blue, with the top-left quarter red (in greyscale modes: darker and lighter)."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height // 2))
    if mode == "I;16":  # 16-bit greyscale, the full range used
        return Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)
    return image.convert(mode) if mode != "RGB" else image


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(
    width: int = 640, height: int = 480, *, tags: Image.Exif | None = None, **options
) -> bytes:
    if tags is not None:
        options["exif"] = tags
    return _encode(marked(width, height), "JPEG", quality=90, **options)


def mpo(width: int = 640, height: int = 480, *, tags: Image.Exif | None = None) -> bytes:
    """A JPEG with a second picture after the first (MPF), as many phones save."""
    options = {"exif": tags} if tags is not None else {}
    return _encode(
        marked(width, height),
        "MPO",
        save_all=True,
        append_images=[Image.new("RGB", (160, 120), RED)],
        **options,
    )


def png(width: int = 640, height: int = 480, *, mode: str = "RGB", **options) -> bytes:
    return _encode(marked(width, height, mode), "PNG", **options)


def webp(width: int = 640, height: int = 480, *, tags: Image.Exif | None = None) -> bytes:
    options = {"exif": tags} if tags is not None else {}
    return _encode(marked(width, height), "WEBP", quality=85, **options)


def heic(width: int = 640, height: int = 480, *, tags: Image.Exif | None = None) -> bytes:
    options = {"exif": tags} if tags is not None else {}
    return _encode(marked(width, height), "HEIF", quality=80, **options)


def gif(width: int = 64, height: int = 48) -> bytes:
    return _encode(marked(width, height), "GIF")


def png_bomb(side: int = 20_000) -> bytes:
    """side x side pixels of one colour: a few dozen KB that would unpack to side² bytes."""
    return _encode(Image.new("1", (side, side)), "PNG", optimize=True)


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,59.7N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def moved(lon: float, lat: float, *, north_m: float = 0, east_m: float = 0) -> tuple[float, float]:
    """The WGS84 point `north_m` and `east_m` metres (in RD New) away from lon, lat."""
    point = Point(lon, lat, srid=4326).transform(28992, clone=True)
    shifted = Point(point.x + east_m, point.y + north_m, srid=28992).transform(4326, clone=True)
    return shifted.x, shifted.y


def exif_time(moment: datetime) -> str:
    return moment.strftime("%Y:%m:%d %H:%M:%S")

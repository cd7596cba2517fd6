"""Photos from the field: legal evidence, checked by content, stored untouched, shown as derivatives.

`store_photo` is the write: it checks the bytes (what they are, never what they are called),
deduplicates by SHA-256 per inspection, keeps the original as received, and writes two JPEG
derivatives without any metadata (EXIF with GPS, XMP, ICC): `screen` (fits in 1600 px) and
`thumbnail` (fits in 320 px), turned upright by the EXIF orientation. From EXIF it keeps when the
photo was taken and where, and how far that is from the location (in RD New).

`process_image` is the pure part (bytes in, derivatives and facts out), also used by
bench/photos.py. It runs in the request, so it is made fast: a JPEG is decoded at 1/2, 1/4 or 1/8
scale by libjpeg itself (draft mode) when the screen size allows, the thumbnail is made from the
screen derivative, and nothing is decoded twice. Pixels are counted from the header before
anything is decoded, so a small file that unpacks to gigabytes (a "decompression bomb") is
refused at once.
"""

import hashlib
import io
import logging
import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import pillow_heif
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageCms, ImageFile
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError

from backend.accounts.models import User
from backend.api.problems import Conflict, Problem
from backend.audit.services import record_event
from geo.coordinates import distance_m
from inspections.models import Inspection, InspectionStatus, Photo

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()  # HEIC/HEIF, what iPhones (and some Android phones) take

SCREEN_PX = 1600
THUMBNAIL_PX = 320
JPEG_QUALITY = 82
# Resize in two steps (a cheap integer reduction, then the filter) when shrinking this much or more.
REDUCING_GAP = 2.0
# After draft mode a JPEG is less than twice the screen size. Pillow filters over the whole
# reduction whatever the filter, and for such a small step bilinear looks like bicubic or
# Lanczos at half their time (17 ms against 26 and 35 for 12 MP); the thumbnail, being small,
# gets the sharper filter.
SCREEN_RESAMPLE = Image.Resampling.BILINEAR
THUMBNAIL_RESAMPLE = Image.Resampling.LANCZOS
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UPLOAD_STATUSES = (
    InspectionStatus.ASSIGNED,
    InspectionStatus.IN_PROGRESS,
    InspectionStatus.SUBMITTED,  # photos may follow the submission
)

# Pillow format -> (content type, file extension). "MPO" is a JPEG with more pictures after the
# first (many phones add one); it is a JPEG to everyone.
_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "HEIF": ("image/heif", "heif"),
}
_OPENERS = ["JPEG", "PNG", "WEBP", "HEIF"]  # Pillow's JPEG opener also recognises MPO
_HEIC_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx")
_ACCEPTED = gettext_lazy("JPEG, PNG, WebP or HEIC")

# EXIF tags (CIPA DC-008).
_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATE_TIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_SUBSEC_TIME_ORIGINAL = 0x9291
_GPS_STATUS = 0x0009
# The transposition that makes an image upright, by EXIF orientation (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def max_bytes() -> int:
    return settings.PHOTO_MAX_BYTES


def max_pixels() -> int:
    return settings.PHOTO_MAX_PIXELS


def max_distance_m() -> float:
    return settings.FIELD_MAX_DISTANCE_M


@dataclass(frozen=True)
class ProcessedImage:
    """What process_image makes of an upload; the original bytes are not repeated here."""

    content_type: str
    extension: str
    width: int  # of the original, turned upright
    height: int
    screen: bytes  # JPEG, fits in SCREEN_PX, no metadata
    screen_size: tuple[int, int]
    thumbnail: bytes  # JPEG, fits in THUMBNAIL_PX, no metadata
    thumbnail_size: tuple[int, int]
    taken_at: datetime | None  # aware, UTC
    gps: tuple[float, float] | None  # (lon, lat), WGS84


class PhotoTooLarge(Problem):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    problem_type = "content-too-large"


def too_large(size: int) -> PhotoTooLarge:
    return PhotoTooLarge(
        _(
            "The photo is %(size)s MB; at most %(limit)s MB is accepted. Upload the photo as the "
            "camera saved it (JPEG, PNG, WebP or HEIC), not an uncompressed export."
        )
        % {"size": _number(size / 1024 / 1024), "limit": _number(max_bytes() / 1024 / 1024)}
    )


def _number(value: float) -> str:
    return f"{value:.3g}"


def _rejected(message: str, code: str) -> ValidationError:
    return ValidationError({"file": [message]}, code=code)


def _not_an_image() -> ValidationError:
    return _rejected(
        _(
            "This file is not a %(accepted)s image (its content was checked, not its name). Send "
            "the photo as the camera saved it."
        )
        % {"accepted": _ACCEPTED},
        "unsupported",
    )


def _too_many_pixels(width: int | None, height: int | None) -> ValidationError:
    limit = _number(max_pixels() / 1_000_000)
    if width and height:
        message = _(
            "The image has too many pixels (%(width)d × %(height)d, more than %(limit)s "
            "megapixels). Scale it down to at most %(limit)s megapixels and send it again."
        ) % {"width": width, "height": height, "limit": limit}
    else:
        message = _(
            "The image has too many pixels (more than %(limit)s megapixels). Scale it down to "
            "at most %(limit)s megapixels and send it again."
        ) % {"limit": limit}
    return _rejected(message, "too_many_pixels")


def _damaged() -> ValidationError:
    return _rejected(
        _(
            "The image is damaged or incomplete (truncated or corrupt data); nothing was stored. "
            "Upload the photo again from the device."
        ),
        "damaged",
    )


def process_image(data: bytes) -> ProcessedImage:
    """Check `data` and make the derivatives; raise ValidationError (errors.file) if refused."""
    if len(data) > max_bytes():
        raise too_large(len(data))
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Evidence must be complete: a cut-off upload has to fail, not be padded with grey.
        raise ImproperlyConfigured("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False.")
    try:
        # Reads the header only. The formats are limited to those accepted: content decides.
        image = Image.open(io.BytesIO(data), formats=_OPENERS)
    except Image.DecompressionBombError:
        raise _too_many_pixels(None, None) from None
    except MemoryError:
        raise
    except Exception:  # UnidentifiedImageError, or a header Pillow cannot parse
        raise _not_an_image() from None
    with image:
        return _process(image, data)


def _process(image: Image.Image, data: bytes) -> ProcessedImage:
    width, height = image.size
    if width * height > max_pixels():
        raise _too_many_pixels(width, height)
    content_type, extension = _FORMATS[image.format]
    if image.format == "HEIF" and data[8:12] in _HEIC_BRANDS:
        content_type, extension = "image/heic", "heic"
    if image.format in ("JPEG", "MPO"):
        # libjpeg decodes at the smallest of 1/8, 1/4, 1/2 that is still at least screen size.
        image.draft("RGB", _fit((width, height), SCREEN_PX))
    try:
        image.load()
    except Image.DecompressionBombError:
        raise _too_many_pixels(width, height) from None
    except MemoryError:
        raise
    except Exception:  # OSError "image file is truncated", broken data streams, bad codecs
        raise _damaged() from None

    exif = _exif(image)
    orientation = _orientation(exif)
    if orientation in (5, 6, 7, 8):
        width, height = height, width

    screen = _resize(_renderable(image), SCREEN_PX, SCREEN_RESAMPLE)
    screen = _to_srgb(screen, image.info.get("icc_profile"))
    if orientation in _UPRIGHT:
        screen = screen.transpose(_UPRIGHT[orientation])
    thumbnail = _resize(screen, THUMBNAIL_PX, THUMBNAIL_RESAMPLE)
    return ProcessedImage(
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        screen=_jpeg(screen),
        screen_size=screen.size,
        thumbnail=_jpeg(thumbnail),
        thumbnail_size=thumbnail.size,
        taken_at=_taken_at(exif),
        gps=_gps(exif),
    )


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    width, height = size
    if width <= box and height <= box:
        return size
    scale = box / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(image: Image.Image, box: int, resample: Image.Resampling) -> Image.Image:
    size = _fit(image.size, box)
    if size == image.size:
        return image
    return image.resize(size, resample, reducing_gap=REDUCING_GAP)


def _renderable(image: Image.Image) -> Image.Image:
    """The image in a mode that resizes well and ends as RGB or L (CMYK is converted later)."""
    mode = image.mode
    if mode in ("RGB", "L", "CMYK"):
        return image
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I;16") or mode in ("I", "F"):  # 16-bit or float greyscale
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    return image.convert("RGB")


@lru_cache(maxsize=16)
def _srgb_transform(icc_profile: bytes, mode: str):
    """The transform to sRGB, or None when the profile is sRGB already (most Android phones)."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    if mode == "RGB" and "srgb" in ImageCms.getProfileDescription(source).lower():
        return None
    return ImageCms.buildTransform(source, ImageCms.createProfile("sRGB"), mode, "RGB")


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The screen image in sRGB: the derivatives carry no profile, so their colours must be sRGB
    (an iPhone's Display P3 would look dull otherwise). Done at screen size: ~20 ms."""
    if icc_profile and image.mode in ("RGB", "CMYK"):
        try:
            transform = _srgb_transform(icc_profile, image.mode)
            if transform is not None:
                return ImageCms.applyTransform(image, transform)
        except Exception:  # a broken or unusual profile: keep the colours as they are
            logger.info("Ignored an ICC profile that could not be applied", exc_info=True)
    if image.mode == "CMYK":
        return image.convert("RGB")
    return image


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No exif, icc_profile or xmp arguments: Pillow writes none of them unless given. But it does
    # carry a JPEG comment over from the original unless told otherwise: comment=b"" drops it.
    # No optimize or progressive: 13% smaller files are not worth doubling the encoding time.
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, comment=b"")
    return buffer.getvalue()


def _exif(image: Image.Image) -> Image.Exif | None:
    try:
        return image.getexif()
    except Exception:  # damaged EXIF does not make the photo worthless
        logger.info("Ignored unreadable EXIF", exc_info=True)
        return None


def _ifd(exif: Image.Exif | None, tag: int) -> dict:
    if exif is None:
        return {}
    try:
        return dict(exif.get_ifd(tag))
    except Exception:
        return {}


def _orientation(exif: Image.Exif | None) -> int:
    value = exif.get(_ORIENTATION) if exif is not None else None
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _text(value) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ") or None


def _taken_at(exif: Image.Exif | None) -> datetime | None:
    """DateTimeOriginal, in the offset the camera gave, else Europe/Amsterdam; as UTC."""
    tags = _ifd(exif, _EXIF_IFD)
    text = _text(tags.get(_DATE_TIME_ORIGINAL))
    if not text:
        return None
    try:
        local = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:  # "0000:00:00 00:00:00", blanks, other formats
        return None
    fraction = _text(tags.get(_SUBSEC_TIME_ORIGINAL))
    if fraction and fraction.isdigit():
        local = local.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    offset = _OFFSET.match(_text(tags.get(_OFFSET_TIME_ORIGINAL)) or "")
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
        if delta <= timedelta(hours=14):
            return local.replace(tzinfo=timezone(sign * delta)).astimezone(timezone.utc)
    return local.replace(tzinfo=AMSTERDAM).astimezone(timezone.utc)


def _degrees(value, ref, positive: str, negative: str, limit: float) -> float | None:
    ref = _text(ref)
    if ref not in (positive, negative):
        return None
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    try:
        numbers = [float(part) for part in parts]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(n) and n >= 0 for n in numbers):
        return None
    if any(n > 60 for n in numbers[1:]):  # 60 itself: a rounding some cameras make
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers))
    if degrees > limit:
        return None
    return -degrees if ref == negative else degrees


def _gps(exif: Image.Exif | None) -> tuple[float, float] | None:
    """(lon, lat) from the GPS IFD; None when absent, void or nonsensical."""
    tags = _ifd(exif, _GPS_IFD)
    if not tags or _text(tags.get(_GPS_STATUS)) == "V":  # V: the receiver had no fix
        return None
    lat = _degrees(tags.get(2), tags.get(1), "N", "S", 90)
    lon = _degrees(tags.get(4), tags.get(3), "E", "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0, 0: "no position" written
        return None
    return lon, lat


def _check_id_free(photo_id: uuid.UUID, inspection: Inspection) -> None:
    other = Photo.objects.filter(pk=photo_id).only("inspection_id", "sha256").first()
    if other is None:
        return
    if other.inspection_id != inspection.pk:
        raise Conflict(
            _(
                "Photo id %(id)s is in use for another inspection. Give every photo its own id "
                "(a new UUID)."
            )
            % {"id": photo_id}
        )
    raise Conflict(
        _(
            "Photo %(id)s was uploaded before with other content (SHA-256 %(sha)s); a photo "
            "never changes. Upload a new photo with a new id."
        )
        % {"id": photo_id, "sha": other.sha256}
    )


def _delete_files(names: list[str]) -> None:
    storage = Photo._meta.get_field("original").storage
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete photo file %s after a failed upload", name)


def store_photo(
    *, inspection: Inspection, photo_id: uuid.UUID, data: bytes, uploaded_by: User
) -> tuple[Photo, bool]:
    """Store a photo of `inspection` by its assigned inspector; (photo, created).

    The same bytes again (under any id) return the stored photo; the same id with other bytes
    is a 409. A new photo is checked and processed before anything is written; the row, its
    three files and the audit event are written together, and the files are removed again if
    the row cannot be saved. A concurrent duplicate upload returns the photo that won.
    """
    if inspection.assigned_to_id != uploaded_by.pk:
        raise PermissionDenied(
            _("Inspection %(id)s is not assigned to you: only its inspector uploads its photos.")
            % {"id": inspection.pk}
        )
    if len(data) > max_bytes():
        raise too_large(len(data))
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Photo.objects.filter(inspection=inspection, sha256=sha256).first()
    if existing is not None:
        return existing, False  # a retry: stored already (even if the inspection closed since)
    _check_id_free(photo_id, inspection)
    if inspection.status not in UPLOAD_STATUSES:
        raise Conflict(
            _(
                "Inspection %(id)s is %(status)s: photos are accepted while it is assigned, in "
                "progress or submitted; it no longer takes photos."
            )
            % {"id": inspection.pk, "status": inspection.get_status_display().lower()}
        )

    processed = process_image(data)
    location = inspection.location
    photo = Photo(
        id=photo_id,
        inspection=inspection,
        sha256=sha256,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        taken_at=processed.taken_at,
        uploaded_by=uploaded_by,
    )
    if processed.gps is not None:
        photo.gps_point = Point(*processed.gps, srid=4326)
        distance = distance_m(location.point, photo.gps_point)
        if math.isfinite(distance):
            photo.distance_m = min(round(distance), 2**31 - 1)
        photo.far_from_location = not math.isfinite(distance) or distance > max_distance_m()

    written: list[str] = []
    try:
        with transaction.atomic():  # a savepoint inside the request's transaction
            for field, name, content in (
                (photo.original, f"original.{processed.extension}", data),
                (photo.screen, "screen.jpg", processed.screen),
                (photo.thumbnail, "thumbnail.jpg", processed.thumbnail),
            ):
                field.save(name, ContentFile(content), save=False)
                written.append(field.name)
            photo.save(force_insert=True)
            record_event(
                actor=uploaded_by,
                action="create",
                target=photo,
                municipality_code=location.municipality.code,
                detail=f"sha256 {sha256}, {processed.content_type}, {len(data)} bytes",
            )
    except IntegrityError:
        _delete_files(written)
        winner = Photo.objects.filter(inspection=inspection, sha256=sha256).first()
        if winner is not None:  # the same bytes arrived at the same moment
            return winner, False
        _check_id_free(photo_id, inspection)  # the same id with other bytes, at the same moment
        raise
    except BaseException:
        _delete_files(written)
        raise
    return photo, True

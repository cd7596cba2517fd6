"""Photo processing: the service's pipeline against a naive one, on 12-megapixel phone JPEGs.

A municipality receives up to ~1,500 photos a day, processed in the upload request. This makes
N phone-like JPEGs (4000 x 3000, ~4 MB, EXIF with orientation, time and GPS: bench/_images.py)
and times, on the same photos in one run:

(a) inspections.services.photos.process_image: format and pixel checks from the header, JPEG
    draft mode (libjpeg decodes at 1/2 scale for a 1600 px screen image), the thumbnail made from
    the screen image, EXIF read once, JPEGs without metadata;
(b) a naive pipeline in plain Pillow: open, ImageOps.exif_transpose on the full image, a full
    Lanczos resize from the original to 1600 px and another to 320 px, both saved as JPEG.

It prints photos per second for each, the speed-up, and the sizes of the originals and the
derivatives. No database is needed:

    .venv/bin/python bench/photos.py          # or: make bench
"""

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import setup_django
from bench._images import phone_jpeg

PHOTOS = 40
SCREEN_PX = 1600
THUMBNAIL_PX = 320
QUALITY = 82
WARM_UP = 2


def naive_process(data: bytes) -> tuple[bytes, bytes]:
    """What one writes first: decode everything, turn it, resize twice from the full image."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    derivatives = []
    for box in (SCREEN_PX, THUMBNAIL_PX):
        scale = box / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        buffer = io.BytesIO()
        image.resize(size, Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=QUALITY)
        derivatives.append(buffer.getvalue())
    return derivatives[0], derivatives[1]


def run(label: str, function, photos: list[bytes]) -> tuple[float, list]:
    for data in photos[:WARM_UP]:  # imports, caches, first allocations
        function(data)
    started = time.perf_counter()
    results = [function(data) for data in photos]
    elapsed = time.perf_counter() - started
    print(
        f"{label:<34} {len(photos) / elapsed:6.1f} photos/s  "
        f"{elapsed / len(photos) * 1000:6.0f} ms/photo  ({elapsed:.1f} s for {len(photos)})"
    )
    return elapsed, results


def kb(sizes) -> str:
    return f"{statistics.mean(sizes) / 1024:,.0f} KB"


def main() -> None:
    setup_django(require_postgis=False)
    from PIL import features

    from inspections.services.photos import process_image

    started = time.perf_counter()
    photos = [phone_jpeg(seed) for seed in range(PHOTOS)]
    print(
        f"{PHOTOS} phone JPEGs of 4000 x 3000 made in {time.perf_counter() - started:.1f} s; "
        f"originals average {statistics.mean(map(len, photos)) / 1024 / 1024:.2f} MB "
        f"(libjpeg-turbo: {features.check_feature('libjpeg_turbo')})"
    )
    print()
    fast_time, fast = run("(a) process_image (service)", process_image, photos)
    naive_time, naive = run("(b) naive Pillow pipeline", naive_process, photos)
    print()
    print(f"speed-up: {naive_time / fast_time:.1f}x")
    print(
        f"per municipality and day, 1,500 photos: {fast_time / PHOTOS * 1500 / 60:.1f} CPU "
        f"minutes with (a), {naive_time / PHOTOS * 1500 / 60:.1f} with (b)"
    )
    print()
    sample = fast[0]
    print(
        f"derivatives (a): screen {kb(len(p.screen) for p in fast)} "
        f"({sample.screen_size[0]} x {sample.screen_size[1]} or turned), "
        f"thumbnail {kb(len(p.thumbnail) for p in fast)} "
        f"({sample.thumbnail_size[0]} x {sample.thumbnail_size[1]} or turned), no metadata"
    )
    print(
        f"derivatives (b): screen {kb(len(s) for s, _ in naive)}, "
        f"thumbnail {kb(len(t) for _, t in naive)}"
    )
    print(
        f"EXIF read by (a): taken_at in {sum(p.taken_at is not None for p in fast)} of {PHOTOS}, "
        f"GPS in {sum(p.gps is not None for p in fast)} of {PHOTOS}"
    )


if __name__ == "__main__":
    main()

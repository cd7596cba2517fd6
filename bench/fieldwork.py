"""Field work at a municipality's scale: 500 inspections submitted, 1,500 phone photos uploaded.

Inspectors come back from the field and their apps send what they recorded offline. This loads
the CBS 2024 boundaries (or the demo region), one verified housing provider with 500 locations in
Naaldwijk (Westland) registered through inspections.services.housing.register_location, a planner,
an inspector, and 500 periodic inspections planned and assigned to the inspector through the
services. Then, as the app does, through the real API in process (rest_framework's APIClient with
a Bearer token: URL routing, middleware, authentication, ATOMIC_REQUESTS), for each inspection:

1. POST /api/v1/inspections/{id}/submission/: every checklist item answered, built like
   tests/inspections/fieldwork.py does; about one in five fails an item (minor, major, or a
   critical one with a photo as evidence), so findings, violations and re-inspections are made;
2. POST /api/v1/photos/ three times, multipart: real 12-megapixel phone JPEGs (4000 x 3000,
   ~4 MB, EXIF with orientation, time and GPS near Naaldwijk: bench/_images.py).

It prints submissions and photos per second (the sum of their request times, each kind apart),
milliseconds per request (median, p95), where the request time goes, and the rows made, and
checks their counts; then it sends 50 submissions again (same id and content: a replay, 200),
and compares, on 30 photos made like the uploads, the service's image pipeline with the naive
Pillow one of bench/photos.py (target: at least 3x faster).

Making 1,500 distinct 12 MP JPEGs would take minutes, so it makes a pool of 60 and gives every
upload bytes of its own by inserting a JPEG comment (COM segment) after the APP segments
(bench/_images.py with_comment): a valid JPEG with the same pixels and EXIF and another SHA-256,
made in a few milliseconds without decoding. Each location lies within 15 m of the GPS of one
pool photo and gets that photo and its two nearest neighbours in the pool; every 20th inspection
gets the pool photo farthest away (~200-350 m) instead of the third one, so the far-from-location
flag (FIELD_MAX_DISTANCE_M, 150 m) is set now and then. The multipart bodies are encoded before
each request is timed. Photos go where backend.settings.test puts them, a temporary folder that
is removed at the end; the script refuses to run when they would go anywhere else.

    make bench    # or: DATABASE_URL=postgis://postgres@127.0.0.1:5432/flexwonen \
                  #         .venv/bin/python bench/fieldwork.py
"""

import functools
import hashlib
import io
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from string import ascii_uppercase
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import import_real_boundaries, scratch_database, setup_django
from bench._images import phone_jpeg, with_comment

SUBMISSIONS = 500
PHOTOS_EACH = 3
POOL = 60  # distinct phone JPEGs made; every upload is one of them with its own comment
REPLAYS = 50
PIPELINE_SAMPLE = 30
FAR_EVERY = 20  # every 20th inspection has one photo taken a few hundred metres away
JITTER_M = 15  # locations lie this close to the GPS of their first photo
MUNICIPALITY = "GM1783"  # Westland; the pool's GPS is around Naaldwijk
SUBMISSION_URL = "/api/v1/inspections/{}/submission/"
PHOTOS_URL = "/api/v1/photos/"
_FILE_FIELDS = ("original", "screen", "thumbnail")  # of Photo
SEED = 2026


def failures(n: int) -> tuple[str, ...]:
    """The items submission n fails: about one in five, three kinds (see fixtures/checklists.py)."""
    if n % 10 == 7:
        return ("FIRE-01",)  # critical, needs a photo: an explicit finding with the first photo
    if n % 20 == 3:
        return ("SAN-03",)  # major: a finding derived from the answer
    if n % 25 == 11:
        return ("SPACE-06", "SAN-04")  # two minor ones
    return ()


# --- places ---------------------------------------------------------------------------------


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance of two nearby (lon, lat) points; flat earth, good to a metre within a kilometre."""
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = (a[1] - b[1]) * 110_574
    return math.hypot(dx, dy)


def moved(point: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    lon, lat = point
    return lon + east_m / (111_320 * math.cos(math.radians(lat))), lat + north_m / 110_574


def gps_of(jpeg: bytes) -> tuple[float, float]:
    """(lon, lat) from the EXIF GPS that bench/_images.py writes (north and east)."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        gps = image.getexif().get_ifd(0x8825)
    lat, lon = (sum(float(part) / 60**i for i, part in enumerate(gps[tag])) for tag in (2, 4))
    return lon, lat


@dataclass
class Visit:
    """One inspection: where its location is, and which pool photos the inspector takes there."""

    point: tuple[float, float]
    photos: list[int]  # indices into the pool
    inspection_id: int = 0


def plan_visits(pool_gps: list[tuple[float, float]], count: int, rnd) -> list[Visit]:
    visits = []
    for n in range(count):
        first = n % len(pool_gps)
        angle, radius = rnd.uniform(0, 2 * math.pi), JITTER_M * math.sqrt(rnd.random())
        point = moved(pool_gps[first], radius * math.cos(angle), radius * math.sin(angle))
        by_distance = sorted(range(len(pool_gps)), key=lambda k: metres(point, pool_gps[k]))
        nearest = [first, *[k for k in by_distance if k != first][: PHOTOS_EACH - 1]]
        if n % FAR_EVERY == FAR_EVERY - 1:
            nearest[-1] = by_distance[-1]  # a photo of the neighbour's house, far down the road
        visits.append(Visit(point, nearest))
    return visits


# --- setting up -----------------------------------------------------------------------------


def staff(username: str, role: str):
    from backend.accounts.models import RoleAssignment, User

    user = User.objects.create_user(username=username)
    RoleAssignment.objects.create(user=user, role=role, municipality_code=MUNICIPALITY)
    return user


def location_data(n: int, point: tuple[float, float]) -> dict:
    """A shared house in Naaldwijk: 50 house numbers per postcode, 2671AA, 2671AB, ..."""
    from django.contrib.gis.geos import Point

    return {
        "street": "Havenstraat",
        "house_number": 1 + n % 50,
        "house_letter": "",
        "house_number_addition": "",
        "postcode": f"2671A{ascii_uppercase[n // 50]}",
        "place": "Naaldwijk",
        "point": Point(*point, srid=4326),
        "kind": "shared_house",
        "usable_floor_area_m2": Decimal("100.00"),
        "toilets": 2,
        "showers": 1,
        "kitchens": 1,
        "bedrooms": [
            {"label": "K1", "floor_area_m2": Decimal("12.00"), "beds": 2},
            {"label": "K2", "floor_area_m2": Decimal("10.00"), "beds": 2},
            {"label": "K3", "floor_area_m2": Decimal("9.00"), "beds": 2},
        ],
    }


def register_locations(visits: list[Visit]) -> list:
    from inspections.models import Organisation, OrganisationStatus
    from inspections.services.housing import register_location

    provider = Organisation.objects.create(
        kvk_number="90000001",
        name="Bench Huisvesting B.V.",
        is_employer=True,
        is_housing_provider=True,
        street="Veilingweg",
        house_number=1,
        postcode="2671AA",
        place="Naaldwijk",
        status=OrganisationStatus.VERIFIED,
        municipality_code=MUNICIPALITY,
    )
    return [
        register_location(actor=None, provider=provider, data=location_data(n, visit.point))
        for n, visit in enumerate(visits)
    ]


# --- measuring ------------------------------------------------------------------------------


class Meter:
    """Milliseconds per request by kind, and the seconds inside SQL and a few wrapped calls."""

    def __init__(self):
        self.kind: str | None = None
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.queries: dict[str, list[int]] = defaultdict(list)
        self.inside: dict[tuple[str, str], float] = defaultdict(float)
        self._queries = 0

    @contextmanager
    def request(self, kind: str):
        self.kind, self._queries = kind, 0
        started = time.perf_counter()
        try:
            yield
        finally:
            self.ms[kind].append((time.perf_counter() - started) * 1000)
            self.queries[kind].append(self._queries)
            self.kind = None

    def _add(self, part: str, seconds: float) -> None:
        if self.kind is not None:
            self.inside[self.kind, part] += seconds

    def sql(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self._queries += 1
            self._add("SQL", time.perf_counter() - started)

    def wrap(self, part: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._add(part, time.perf_counter() - started)

        return timed

    @contextmanager
    def instrumented(self):
        """SQL, COMMIT, body parsing, process_image, distance_m and the storage's writes."""
        from django.db import connection
        from rest_framework.request import Request

        from inspections.models import Photo
        from inspections.services import photos as photo_service
        from inspections.services import submissions as submission_service

        storages = {id(s): s for s in (Photo._meta.get_field(f).storage for f in _FILE_FIELDS)}
        with ExitStack() as stack:
            stack.enter_context(connection.execute_wrapper(self.sql))
            stack.enter_context(
                mock.patch.object(connection, "commit", self.wrap("COMMIT", connection.commit))
            )
            stack.enter_context(
                mock.patch.object(Request, "_parse", self.wrap("body parsing", Request._parse))
            )
            process = self.wrap("process_image", photo_service.process_image)
            stack.enter_context(mock.patch.object(photo_service, "process_image", process))
            for module in (photo_service, submission_service):  # each imported it by name
                distance = self.wrap("distance_m (RD New)", module.distance_m)
                stack.enter_context(mock.patch.object(module, "distance_m", distance))
            for storage in storages.values():
                save = self.wrap("storage writes", storage.save)
                stack.enter_context(mock.patch.object(storage, "save", save))
            yield

    def line(self, kind: str, label: str, unit: str) -> str:
        ms = self.ms[kind]
        seconds = sum(ms) / 1000
        return (
            f"  {label:<12} {len(ms):>5,} in {seconds:6.1f} s = {len(ms) / seconds:6.1f} {unit}/s"
            f"   median {statistics.median(ms):5.0f} ms, p95 {percentile(ms, 95):5.0f} ms"
            f", {statistics.median(self.queries[kind]):.0f} queries"
        )

    def split(self, kind: str) -> str:
        total = sum(self.ms[kind]) / 1000
        parts = {part: s for (k, part), s in self.inside.items() if k == kind}
        parts["rest (DRF, serializers, services' Python, test client)"] = total - sum(
            parts.values()
        )
        per = len(self.ms[kind])
        return ", ".join(
            f"{part} {s / per * 1000:.0f} ms ({s / total:.0%})"
            for part, s in sorted(parts.items(), key=lambda item: -item[1])
        )


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def expect(response, status: int, what: str) -> dict:
    if response.status_code != status:
        sys.exit(f"{what}: {response.status_code} instead of {status}: {response.content[:800]!r}")
    return response.json()


# --- the field app --------------------------------------------------------------------------


def submission_body(n: int, visit: Visit, references: list[dict]) -> dict:
    from tests.inspections.fieldwork import submission

    failing = failures(n)
    findings = []
    if "FIRE-01" in failing:
        references[0]["item"] = "FIRE-01"
        findings.append(
            {
                "item": "FIRE-01",
                "severity": "critical",
                "note": "Geen werkende rookmelder op de overloop.",
                "photos": [references[0]["id"]],
            }
        )
    arrival = moved(visit.point, 4, -3)
    return submission(
        failing=failing,
        photos=references,
        findings=findings,
        arrival={"point": {"type": "Point", "coordinates": list(arrival)}, "accuracy_m": 8},
    )


def multipart(inspection_id: int, photo_id: str, data: bytes) -> bytes:
    """The body APIClient's format="multipart" sends, encoded before the request is timed."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, encode_multipart

    fields = {
        "inspection": inspection_id,
        "id": photo_id,
        "file": SimpleUploadedFile("photo.jpg", data, "image/jpeg"),
    }
    return encode_multipart(BOUNDARY, fields)


def ingest(client, visits: list[Visit], pool: list[bytes], meter: Meter) -> tuple[list, float]:
    """Submit every inspection, then upload its photos; the first bodies, and encoding seconds."""
    from django.test.client import MULTIPART_CONTENT

    kept, encoding = [], 0.0
    for n, visit in enumerate(visits):
        uploads = [
            with_comment(pool[k], f"flexwonen bench photo {visit.inspection_id}-{m}")
            for m, k in enumerate(visit.photos)
        ]
        references = [
            {"id": str(uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(), "item": None}
            for data in uploads
        ]
        body = submission_body(n, visit, references)
        url = SUBMISSION_URL.format(visit.inspection_id)
        with meter.request("submission"):
            response = client.post(url, body, format="json")
        result = expect(response, 201, f"submission of inspection {visit.inspection_id}")
        assert len(result["missing_photos"]) == PHOTOS_EACH, result
        if n < REPLAYS:
            kept.append((url, body))
        for reference, data in zip(references, uploads, strict=True):
            started = time.perf_counter()
            encoded = multipart(visit.inspection_id, reference["id"], data)
            encoding += time.perf_counter() - started
            with meter.request("photo"):
                response = client.post(PHOTOS_URL, encoded, content_type=MULTIPART_CONTENT)
            photo = expect(response, 201, f"photo {reference['id']}")
            assert photo["sha256"] == reference["sha256"], photo
    return kept, encoding


def replay(client, kept: list, meter: Meter) -> None:
    for url, body in kept:
        with meter.request("replay"):
            response = client.post(url, body, format="json")
        result = expect(response, 200, f"replay of {url}")
        assert (result["id"], result["missing_photos"]) == (body["id"], []), result


# --- reporting ------------------------------------------------------------------------------


def database_counts(visits: list[Visit], pool_gps: list) -> list[tuple[str, int, int | None]]:
    """(what, in the database, expected or None)."""
    from inspections.models import (
        Finding,
        Inspection,
        InspectionKind,
        InspectionStatus,
        Photo,
        PhotoReference,
        Submission,
        Violation,
    )

    failing = [failures(n) for n in range(len(visits))]
    far = sum(
        metres(visit.point, pool_gps[k]) > _max_distance_m()
        for visit in visits
        for k in visit.photos
    )
    uploaded = Photo.objects.values("id")
    return [
        ("submissions", Submission.objects.count(), len(visits)),
        ("photos", Photo.objects.count(), len(visits) * PHOTOS_EACH),
        ("photo references", PhotoReference.objects.count(), len(visits) * PHOTOS_EACH),
        (
            "references still missing their photo",
            PhotoReference.objects.exclude(photo_id__in=uploaded).count(),
            0,
        ),
        (
            "inspections submitted",
            Inspection.objects.filter(status=InspectionStatus.SUBMITTED).count(),
            len(visits),
        ),
        ("findings", Finding.objects.count(), sum(len(f) for f in failing)),
        ("violations", Violation.objects.count(), sum(len(f) for f in failing)),
        (
            "re-inspections proposed",
            Inspection.objects.filter(kind=InspectionKind.REINSPECTION).count(),
            sum(1 for f in failing if f),
        ),
        (
            "photos far from their location",
            Photo.objects.filter(far_from_location=True).count(),
            far,
        ),
        (
            "photos with EXIF time and GPS",
            Photo.objects.exclude(taken_at=None).exclude(gps_point=None).count(),
            None,
        ),
    ]


def _max_distance_m() -> float:
    from django.conf import settings

    return settings.FIELD_MAX_DISTANCE_M


def photo_folder() -> Path:
    """Where the photo storage writes: it must be a temporary folder (backend.settings.test's)."""
    from django.core.files.storage import FileSystemStorage

    from inspections.models import Photo

    storage = Photo._meta.get_field("original").storage
    temporary = Path(tempfile.gettempdir()).resolve()
    location = Path(storage.location).resolve() if isinstance(storage, FileSystemStorage) else None
    if location is None or location == temporary or not location.is_relative_to(temporary):
        sys.exit(
            f"Photos would be stored in {location or storage}, not in a temporary folder: run "
            "with DJANGO_SETTINGS_MODULE=backend.settings.test (bench/_common.py's default)."
        )
    return location


def file_sizes(folder: Path) -> str:
    sizes = defaultdict(list)
    for path in folder.rglob("*"):
        if path.is_file():
            sizes[path.stem].append(path.stat().st_size)
    total = sum(sum(s) for s in sizes.values())
    average = ", ".join(
        f"{stem} {statistics.mean(s) / 1024:,.0f} KB" for stem, s in sorted(sizes.items())
    )
    files = sum(len(s) for s in sizes.values())
    return f"{files:,} files, {total / 1024**3:.2f} GB ({average} on average)"


def compare_pipelines(pool: list[bytes]) -> None:
    from bench.photos import naive_process, run
    from inspections.services.photos import process_image

    sample = [with_comment(pool[k], f"flexwonen bench sample {k}") for k in range(PIPELINE_SAMPLE)]
    print(
        f"\nimage pipeline on {PIPELINE_SAMPLE} photos made like the uploads (same bytes for both):"
    )
    fast, _results = run("(a) process_image (service)", process_image, sample)
    naive, _results = run("(b) naive Pillow (bench/photos.py)", naive_process, sample)
    verdict = "met" if naive / fast >= 3 else "NOT met"
    print(f"speed-up: {naive / fast:.1f}x (target at least 3x: {verdict})")


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone
    from rest_framework.test import APIClient

    from backend.accounts.models import ApiToken
    from backend.accounts.roles import Role
    from tests.inspections.fieldwork import visit as plan_and_assign

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    folder = photo_folder()
    try:
        with scratch_database():
            started = time.perf_counter()
            source = import_real_boundaries()
            settings.DEBUG = False  # load_demo (the fallback) needs DEBUG; queries must not pile up
            boundaries = time.perf_counter() - started
            print(f"source: {source}; {connection.vendor} {connection.ops.spatial_version}")

            started = time.perf_counter()
            pool = [phone_jpeg(SEED + k) for k in range(POOL)]
            pool_gps = [gps_of(data) for data in pool]
            made = time.perf_counter() - started
            visits = plan_visits(pool_gps, SUBMISSIONS, random.Random(SEED))

            started = time.perf_counter()
            locations = register_locations(visits)
            registered = time.perf_counter() - started
            inspector = staff("bench.inspector", Role.INSPECTOR)
            planner = staff("bench.planner", Role.PLANNER)
            started = time.perf_counter()
            today = timezone.localdate()
            for visit, location in zip(visits, locations, strict=True):
                visit.inspection_id = plan_and_assign(location, inspector, planner, day=today).pk
            planned = time.perf_counter() - started
            print(
                f"setup: boundaries in {boundaries:.1f} s; {POOL} phone JPEGs (4000 x 3000, "
                f"{statistics.mean(map(len, pool)) / 1024**2:.1f} MB average) in {made:.1f} s\n"
                f"       {SUBMISSIONS} locations through register_location in {registered:.1f} s, "
                f"{SUBMISSIONS} inspections planned and assigned in {planned:.1f} s"
            )

            _token, secret = ApiToken.objects.create(user=inspector, name="bench")
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
            meter = Meter()
            started = time.perf_counter()
            with meter.instrumented():
                kept, encoding = ingest(client, visits, pool, meter)
                replay(client, kept, meter)
            wall = time.perf_counter() - started

            photos = SUBMISSIONS * PHOTOS_EACH
            print(
                f"\nthrough the API, one inspector's app, in process (sum of request times; "
                f"wall time {wall:.0f} s incl. making the uploads):"
            )
            print(meter.line("submission", "submissions", "submissions"))
            print(meter.line("photo", "photos", "photos"))
            print(meter.line("replay", "replays", "replays"))
            request_minutes = (sum(meter.ms["submission"]) + sum(meter.ms["photo"])) / 60_000
            print(
                f"  {SUBMISSIONS} submissions with {photos:,} photos (a busy day of a "
                f"municipality): {request_minutes:.1f} min of request time in one process; "
                f"multipart encoding in the client, not counted: "
                f"{encoding / photos * 1000:.1f} ms a photo"
            )
            print("\nwhere the request time goes, per request:")
            for kind in ("submission", "photo", "replay"):
                print(f"  {kind}: {meter.split(kind)}")

            print("\nin the database:")
            problems = []
            for what, actual, expected in database_counts(visits, pool_gps):
                mark = "" if expected is None else " (ok)" if actual == expected else " (WRONG)"
                if expected is not None and actual != expected:
                    problems.append(f"{what}: {actual:,}, expected {expected:,}")
                print(f"  {what:<38} {actual:>6,}{mark}")
            print(f"photo storage ({folder}): {file_sizes(folder)}")

            compare_pipelines(pool)
            if problems:
                sys.exit("counts differ: " + "; ".join(problems))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

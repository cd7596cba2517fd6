"""Photos from the field: real images through Pillow, real HTTP through the test client."""

import datetime as dt
import io
import random
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone
from PIL import Image, ImageFile, ImageOps
from rest_framework.exceptions import ValidationError

from backend.accounts.roles import Role
from backend.audit.models import AuditEvent
from inspections.models import ChecklistTemplate, Inspection, Photo
from inspections.services import photos as services
from tests import images

from .conftest import make_member, make_organisation, register

pytestmark = pytest.mark.django_db

URL = "/api/v1/photos/"
UTC = dt.timezone.utc
NAALDWIJK = (4.205, 51.995)
NEAR = images.moved(*NAALDWIJK, north_m=30)
FAR = images.moved(*NAALDWIJK, north_m=240, east_m=320)  # 400 m
PHOTO_ROOT = Path(settings.STORAGES["photos"]["OPTIONS"]["location"])


# Local helpers: the inspection services are written in parallel; inspections are made directly.


def files_in_storage() -> set[Path]:
    return {p for p in PHOTO_ROOT.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def _clean_storage():
    """Each test removes the photo files it wrote (the database rolls back, the disk does not)."""
    before = files_in_storage()
    yield
    for stray in files_in_storage() - before:
        stray.unlink()


@pytest.fixture
def location(demo_region):
    return register(make_organisation("10000001"))


@pytest.fixture
def template(db):
    return ChecklistTemplate.objects.create(
        code="photo-test",
        version=1,
        name="Photo test checklist",
        source="test",
        status="published",
        published_at=timezone.now(),
    )


@pytest.fixture
def inspector(make_user):
    return make_user(Role.INSPECTOR, ["GM1783"])


@pytest.fixture
def make_inspection(location, template, inspector):
    def make(status="assigned", assigned_to=inspector, at=location):
        return Inspection.objects.create(
            location=at,
            kind="periodic",
            status=status,
            assigned_to=assigned_to,
            template=template,
        )

    return make


@pytest.fixture
def inspection(make_inspection):
    return make_inspection()


@pytest.fixture
def inspector_api(client_for, inspector):
    return client_for(inspector)


@pytest.fixture
def planner_api(make_user, client_for):
    return client_for(make_user(Role.PLANNER, ["GM1783"]))


@pytest.fixture(scope="session")
def bomb() -> bytes:
    return images.png_bomb()


@pytest.fixture(scope="session")
def evidence() -> bytes:
    """A 3300 x 2400 JPEG taken upright at 90° (orientation 6), 30 m from the location."""
    tags = images.exif(orientation=6, taken="2026:05:14 10:31:07", offset="+02:00", gps=NEAR)
    return images.jpeg(3300, 2400, tags=tags)


def upload(client, inspection, data: bytes, *, photo_id=None, name="photo.jpg", **extra):
    payload = {
        "inspection": inspection.pk if hasattr(inspection, "pk") else inspection,
        "id": str(photo_id or uuid.uuid4()),
        "file": io.BytesIO(data),
    }
    payload["file"].name = name
    return client.post(URL, payload, format="multipart", **extra)


def problem(response, status_code: int, problem_type: str) -> dict:
    assert response.status_code == status_code, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{problem_type}"
    return body


def stored(photo: Photo, field: str) -> bytes:
    with getattr(photo, field).open("rb") as file:
        return file.read()


def assert_no_metadata(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info)
    assert b"\xff\xfe" not in data[: data.find(b"\xff\xda")]  # no COM segment before the scan
    assert b"Exif\x00\x00" not in data
    assert b"ICC_PROFILE" not in data
    assert b"http://ns.adobe.com/xap" not in data
    image.load()
    return image


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 150 and g < 100 and b < 100


# Upload: the happy path.


def test_a_rotated_phone_jpeg_is_stored_untouched_with_upright_derivatives_and_its_exif_facts(
    inspector_api, inspection, evidence
):
    photo_id = uuid.uuid4()
    response = upload(inspector_api, inspection, evidence, photo_id=photo_id)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == str(photo_id)
    assert body["inspection"] == inspection.pk
    assert body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == (2400, 3300)  # upright: swapped for orientation 6
    assert instant(body["taken_at"]) == dt.datetime(2026, 5, 14, 8, 31, 7, tzinfo=UTC)
    assert body["gps_point"]["type"] == "Point"
    assert body["gps_point"]["coordinates"] == pytest.approx(list(NEAR), abs=1e-6)
    assert 29 <= body["distance_m"] <= 31
    assert body["far_from_location"] is False
    assert body["uploaded_by"] == inspection.assigned_to.username
    assert body["links"]["thumbnail"].endswith(f"{URL}{photo_id}/thumbnail/")
    assert body["links"]["screen"].endswith(f"{URL}{photo_id}/screen/")
    assert response["Location"].endswith(f"{URL}{photo_id}/")

    photo = Photo.objects.get(pk=photo_id)
    assert photo.taken_at == dt.datetime(2026, 5, 14, 8, 31, 7, tzinfo=UTC)  # 10:31:07 at +02:00
    assert stored(photo, "original") == evidence  # the evidence, byte for byte
    assert photo.original.name.endswith("/original.jpg")
    assert photo.gps_point.srid == 4326

    screen = assert_no_metadata(stored(photo, "screen"))
    thumbnail = assert_no_metadata(stored(photo, "thumbnail"))
    assert max(screen.size) == 1600
    assert screen.size[0] < screen.size[1]  # portrait, as the inspector held the phone
    assert max(thumbnail.size) == 320
    assert thumbnail.size[0] < thumbnail.size[1]
    for image in (screen, thumbnail):
        width, height = image.size
        # Stored top-left (red) turns to the top-right when turned 90° clockwise.
        assert is_red(image.getpixel((width - 5, 5)))
        assert not is_red(image.getpixel((5, 5)))
        assert not is_red(image.getpixel((width - 5, height - 5)))

    event = AuditEvent.objects.get(action="create", target_id=str(photo_id))
    assert event.actor == inspection.assigned_to
    assert event.municipality_code == "GM1783"


def test_a_photo_400_metres_away_is_flagged(inspector_api, inspection):
    data = images.jpeg(tags=images.exif(gps=FAR))

    body = upload(inspector_api, inspection, data).json()

    assert 398 <= body["distance_m"] <= 402
    assert body["far_from_location"] is True


def test_the_distance_limit_is_a_setting(inspector_api, inspection, settings):
    settings.FIELD_MAX_DISTANCE_M = 20

    body = upload(inspector_api, inspection, images.jpeg(tags=images.exif(gps=NEAR))).json()

    assert body["far_from_location"] is True


def test_without_gps_or_time_the_facts_stay_empty(inspector_api, inspection):
    body = upload(inspector_api, inspection, images.jpeg()).json()

    assert body["gps_point"] is None
    assert body["distance_m"] is None
    assert body["far_from_location"] is False
    assert body["taken_at"] is None
    assert (body["width"], body["height"]) == (640, 480)


@pytest.mark.parametrize(
    ("build", "content_type", "extension", "colour"),
    [
        (lambda tags: images.png(), "image/png", "png", True),
        (lambda tags: images.png(mode="RGBA"), "image/png", "png", True),
        (lambda tags: images.png(mode="P"), "image/png", "png", True),
        (lambda tags: images.png(mode="I;16"), "image/png", "png", False),
        (lambda tags: images.webp(tags=tags), "image/webp", "webp", True),
        (lambda tags: images.heic(tags=tags), "image/heic", "heic", True),
        (lambda tags: images.mpo(tags=tags), "image/jpeg", "jpg", True),
    ],
    ids=["png", "png-rgba", "png-palette", "png-16-bit", "webp", "heic", "mpo"],
)
def test_png_webp_heic_and_mpo_are_accepted(
    inspector_api, inspection, build, content_type, extension, colour
):
    data = build(images.exif(taken="2026:01:15 10:00:00", gps=NEAR))

    response = upload(inspector_api, inspection, data, name="photo.jpg")  # the name is no matter

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == content_type
    assert (body["width"], body["height"]) == (640, 480)
    photo = Photo.objects.get(pk=body["id"])
    assert photo.original.name.endswith(f"/original.{extension}")
    assert stored(photo, "original") == data
    screen = assert_no_metadata(stored(photo, "screen"))
    assert screen.size == (640, 480)  # never enlarged
    assert screen.mode in ("RGB", "L")
    thumbnail = assert_no_metadata(stored(photo, "thumbnail"))
    assert thumbnail.size == (320, 240)
    if extension in ("webp", "heic", "jpg"):  # these carry the EXIF given
        # 10:00 in Amsterdam in winter (no offset in the EXIF)
        assert instant(body["taken_at"]) == dt.datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
        assert body["distance_m"] == pytest.approx(30, abs=1)
    if colour:
        assert is_red(screen.getpixel((5, 5)))
        assert not is_red(screen.getpixel((600, 400)))
    else:  # 16-bit greyscale scaled to 8 bits, not clipped to white
        assert screen.getpixel((5, 5)) == pytest.approx(87, abs=3)  # red, as grey
        assert screen.getpixel((600, 400)) == pytest.approx(67, abs=3)  # blue, as grey


def test_colour_profile_xmp_and_comment_of_the_original_do_not_reach_the_derivatives(
    inspector_api, inspection
):
    data = images.jpeg(
        icc_profile=images.srgb_icc(),
        xmp=images.XMP,
        tags=images.exif(gps=NEAR),
        comment=b"Familie Kowalski, kamer 3",
    )
    assert b"Familie Kowalski" in data
    assert b"ICC_PROFILE" in data
    assert b"http://ns.adobe.com/xap" in data

    body = upload(inspector_api, inspection, data).json()

    photo = Photo.objects.get(pk=body["id"])
    assert stored(photo, "original") == data
    assert_no_metadata(stored(photo, "screen"))
    assert_no_metadata(stored(photo, "thumbnail"))


# Upload: refused files change nothing.


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


REFUSED = {
    "pdf-named-jpg": (lambda bomb: _pdf(), "photo.jpg", "not a JPEG, PNG, WebP or HEIC"),
    "text": (lambda bomb: b"just some notes\n" * 20, "notes.jpg", "not a JPEG, PNG, WebP or HEIC"),
    "gif": (lambda bomb: images.gif(), "photo.gif", "not a JPEG, PNG, WebP or HEIC"),
    "truncated-jpeg": (
        lambda bomb: images.truncated(images.jpeg(1200, 900)),
        "photo.jpg",
        "damaged or incomplete",
    ),
    "truncated-png": (
        lambda bomb: images.truncated(images.png(1200, 900)),
        "photo.png",
        "damaged or incomplete",
    ),
    "png-bomb": (lambda bomb: bomb, "photo.png", "too many pixels"),
    "png-64-megapixels": (lambda bomb: images.png_bomb(8000), "photo.png", "8000 × 8000"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_files_get_a_clear_problem_and_nothing_is_stored(
    inspector_api, inspection, bomb, case
):
    build, name, message = REFUSED[case]
    before = files_in_storage()
    events = AuditEvent.objects.count()

    response = upload(inspector_api, inspection, build(bomb), name=name)

    body = problem(response, 400, "validation-error")
    assert message in body["errors"]["file"][0]
    assert message in body["detail"]
    assert not Photo.objects.exists()
    assert files_in_storage() == before
    assert AuditEvent.objects.count() == events


def test_a_pixel_bomb_is_refused_from_its_header_without_decoding(inspector_api, inspection, bomb):
    started = time.perf_counter()

    response = upload(inspector_api, inspection, bomb, name="photo.png")

    assert time.perf_counter() - started < 2  # decoding 400 megapixels would take far longer
    assert "too many pixels" in problem(response, 400, "validation-error")["detail"]


def test_the_pixel_limit_is_a_setting_and_named_in_the_message(inspector_api, inspection, settings):
    settings.PHOTO_MAX_PIXELS = 640 * 480 - 1
    before = files_in_storage()

    response = upload(inspector_api, inspection, images.jpeg(640, 480))

    detail = problem(response, 400, "validation-error")["errors"]["file"][0]
    assert "640 × 480" in detail
    assert "too many pixels" in detail
    assert files_in_storage() == before
    assert not Photo.objects.exists()


def test_a_body_over_the_size_limit_is_a_413(inspector_api, inspection, settings):
    settings.PHOTO_MAX_BYTES = 10_000
    data = images.jpeg(1600, 1200, tags=images.exif(gps=NEAR))
    assert len(data) > 10_000
    before = files_in_storage()

    response = upload(inspector_api, inspection, data)

    body = problem(response, 413, "content-too-large")
    assert "at most 0 MB" not in body["detail"]
    assert "MB" in body["detail"]
    assert not Photo.objects.exists()
    assert files_in_storage() == before


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    inspector_api, inspection, settings
):
    settings.PHOTO_MAX_BYTES = 10_000
    data = images.jpeg(4000, 3000) + bytes(200_000)

    response = upload(inspector_api, inspection, data)

    problem(response, 413, "content-too-large")
    assert not Photo.objects.exists()


def test_missing_fields_are_named(inspector_api, inspection):
    response = inspector_api.post(URL, {"inspection": inspection.pk}, format="multipart")

    errors = problem(response, 400, "validation-error")["errors"]
    assert set(errors) == {"id", "file"}


def test_a_json_body_is_an_unsupported_media_type(inspector_api, inspection):
    response = inspector_api.post(URL, {"inspection": inspection.pk}, format="json")

    problem(response, 415, "unsupported-media-type")


# Upload: deduplication by content.


def test_the_same_bytes_again_under_another_id_return_the_stored_photo(
    inspector_api, inspection, evidence
):
    first = upload(inspector_api, inspection, evidence)
    files = files_in_storage()

    again = upload(inspector_api, inspection, evidence)  # a new id, the same bytes

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Photo.objects.count() == 1
    assert files_in_storage() == files


def test_the_same_id_with_other_bytes_is_a_conflict_naming_the_id(inspector_api, inspection):
    photo_id = uuid.uuid4()
    upload(inspector_api, inspection, images.jpeg(640, 480), photo_id=photo_id)
    files = files_in_storage()

    response = upload(inspector_api, inspection, images.jpeg(800, 600), photo_id=photo_id)

    body = problem(response, 409, "conflict")
    assert str(photo_id) in body["detail"]
    assert Photo.objects.count() == 1
    assert files_in_storage() == files


def test_a_photo_id_of_another_inspection_is_a_conflict(inspector_api, inspection, make_inspection):
    photo_id = uuid.uuid4()
    upload(inspector_api, inspection, images.jpeg(640, 480), photo_id=photo_id)
    other = make_inspection()

    response = upload(inspector_api, other, images.jpeg(640, 480), photo_id=photo_id)

    assert "another inspection" in problem(response, 409, "conflict")["detail"]


def test_the_same_bytes_for_another_inspection_are_another_photo(
    inspector_api, inspection, make_inspection
):
    data = images.jpeg()
    upload(inspector_api, inspection, data)

    response = upload(inspector_api, make_inspection(), data)

    assert response.status_code == 201
    assert Photo.objects.count() == 2


def test_three_uploads_of_one_photo_in_any_order_make_one_row(inspector_api, inspection):
    """A retry under the same id, and the same photo again under a new id, in random order."""
    data = images.jpeg(tags=images.exif(gps=NEAR))
    same, other = uuid.uuid4(), uuid.uuid4()
    attempts = [same, same, other]
    random.shuffle(attempts)

    responses = [upload(inspector_api, inspection, data, photo_id=i) for i in attempts]

    assert [r.status_code for r in responses] == [201, 200, 200]
    assert {r.json()["id"] for r in responses} == {str(attempts[0])}
    assert list(Photo.objects.values_list("id", flat=True)) == [attempts[0]]


def test_a_concurrent_duplicate_returns_the_winner_and_removes_its_own_files(
    inspection, monkeypatch
):
    """Another request stores the same bytes while this one processes them: no 500."""
    data = images.jpeg(tags=images.exif(gps=NEAR))
    process = services.process_image
    winner_id, loser_id = uuid.uuid4(), uuid.uuid4()

    def process_while_another_request_wins(raw):
        processed = process(raw)
        monkeypatch.setattr(services, "process_image", process)
        services.store_photo(
            inspection=inspection, photo_id=winner_id, data=raw, uploaded_by=inspection.assigned_to
        )
        return processed

    monkeypatch.setattr(services, "process_image", process_while_another_request_wins)
    original_filter = Photo.objects.filter
    calls = {"n": 0}

    def first_lookup_misses(*args, **kwargs):  # the winner was not there when we looked
        calls["n"] += 1
        queryset = original_filter(*args, **kwargs)
        return queryset.none() if calls["n"] == 1 else queryset

    monkeypatch.setattr(Photo.objects, "filter", first_lookup_misses)
    before = files_in_storage()

    photo, created = services.store_photo(
        inspection=inspection, photo_id=loser_id, data=data, uploaded_by=inspection.assigned_to
    )

    assert (photo.pk, created) == (winner_id, False)
    assert list(Photo.objects.values_list("id", flat=True)) == [winner_id]
    written = files_in_storage() - before
    assert {p.name for p in written} == {"original.jpg", "screen.jpg", "thumbnail.jpg"}
    assert all(str(winner_id) in str(p) for p in written)  # the loser's files are gone


def test_files_are_removed_when_the_row_cannot_be_saved(inspection, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(Photo, "save", broken_save)
    before = files_in_storage()

    with pytest.raises(IntegrityError):
        services.store_photo(
            inspection=inspection,
            photo_id=uuid.uuid4(),
            data=images.jpeg(),
            uploaded_by=inspection.assigned_to,
        )

    assert files_in_storage() == before


# Upload: who, and when.


def test_another_inspector_of_the_municipality_gets_a_clear_403(client_for, make_user, inspection):
    colleague = client_for(make_user(Role.INSPECTOR, ["GM1783"]))

    response = upload(colleague, inspection, images.jpeg())

    detail = problem(response, 403, "forbidden")["detail"]
    assert "not assigned to you" in detail
    assert not Photo.objects.exists()


@pytest.mark.parametrize("who", ["inspector-elsewhere", "provider"])
def test_those_who_cannot_see_the_inspection_get_a_404(client_for, make_user, inspection, who):
    if who == "provider":
        client = client_for(make_member(make_organisation("10000099")))
    else:
        client = client_for(make_user(Role.INSPECTOR, ["GM1507"]))

    response = upload(client, inspection, images.jpeg())

    problem(response, 404, "not-found")
    assert not Photo.objects.exists()


def test_an_unknown_inspection_is_a_404(inspector_api, inspection):
    problem(upload(inspector_api, inspection.pk + 1000, images.jpeg()), 404, "not-found")


def test_anonymous_uploads_are_401(api_client, inspection):
    problem(upload(api_client, inspection, images.jpeg()), 401, "not-authenticated")


@pytest.mark.parametrize("status", ["in_progress", "submitted"])
def test_photos_may_follow_the_submission(inspector_api, make_inspection, status):
    response = upload(inspector_api, make_inspection(status=status), images.jpeg())

    assert response.status_code == 201


@pytest.mark.parametrize("status", ["closed", "cancelled", "reviewed"])
def test_no_new_photos_once_the_inspection_is_done(inspector_api, make_inspection, status):
    before = files_in_storage()

    response = upload(inspector_api, make_inspection(status=status), images.jpeg())

    assert status.replace("_", " ") in problem(response, 409, "conflict")["detail"]
    assert not Photo.objects.exists()
    assert files_in_storage() == before


def test_a_retry_after_closing_returns_the_stored_photo(inspector_api, inspection):
    data = images.jpeg()
    first = upload(inspector_api, inspection, data)
    Inspection.objects.filter(pk=inspection.pk).update(status="closed")

    again = upload(inspector_api, inspection, data)

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_an_idempotency_key_replays_the_upload(inspector_api, inspection):
    data, photo_id = images.jpeg(), uuid.uuid4()
    first = upload(inspector_api, inspection, data, photo_id=photo_id, HTTP_IDEMPOTENCY_KEY="k1")
    files = files_in_storage()

    again = upload(inspector_api, inspection, data, photo_id=photo_id, HTTP_IDEMPOTENCY_KEY="k1")
    other = upload(inspector_api, inspection, images.png(), HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == 201
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == first.json()
    problem(other, 422, "idempotency-key-reused")
    assert Photo.objects.count() == 1
    assert files_in_storage() == files


# Reading: metadata and derivatives.


@pytest.fixture
def photo(inspector_api, inspection, evidence) -> Photo:
    response = upload(inspector_api, inspection, evidence)
    assert response.status_code == 201
    return Photo.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("variant", ["thumbnail", "screen"])
def test_staff_of_the_municipality_get_the_derivatives_and_each_read_is_logged(
    planner_api, photo, variant
):
    response = planner_api.get(f"{URL}{photo.pk}/{variant}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert response.content == stored(photo, variant)
    assert_no_metadata(response.content)
    event = AuditEvent.objects.get(action="view", target_id=str(photo.pk))
    assert event.actor == planner_api.user
    assert event.municipality_code == "GM1783"
    assert event.target_type == "inspections.photo"


def test_if_none_match_gives_304_without_the_bytes(planner_api, photo):
    first = planner_api.get(f"{URL}{photo.pk}/thumbnail/")
    etag = first["ETag"]

    again = planner_api.get(f"{URL}{photo.pk}/thumbnail/", HTTP_IF_NONE_MATCH=etag)
    screen = planner_api.get(f"{URL}{photo.pk}/screen/", HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert screen.status_code == 200  # another variant, another ETag
    assert screen["ETag"] != etag


def test_an_image_client_accept_header_is_served(planner_api, photo):
    response = planner_api.get(
        f"{URL}{photo.pk}/thumbnail/", HTTP_ACCEPT="image/avif,image/webp,*/*"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_staff_read_the_metadata_with_an_etag_and_the_read_is_logged(planner_api, photo):
    response = planner_api.get(f"{URL}{photo.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(photo.pk)
    assert body["sha256"] == photo.sha256
    assert "original" not in body
    assert not any("original" in link for link in body["links"].values())
    assert (
        planner_api.get(f"{URL}{photo.pk}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    )
    assert AuditEvent.objects.filter(action="view", target_id=str(photo.pk)).count() == 2


def test_the_uploader_reads_their_photo(inspector_api, photo):
    assert inspector_api.get(f"{URL}{photo.pk}/").status_code == 200
    assert inspector_api.get(f"{URL}{photo.pk}/screen/").status_code == 200


@pytest.mark.parametrize("who", ["staff-elsewhere", "provider", "national"])
def test_everyone_else_gets_404(client_for, make_user, photo, who):
    if who == "provider":
        client = client_for(make_member(make_organisation("10000099")))
    elif who == "national":
        client = client_for(make_user(Role.NATIONAL_READONLY))
    else:
        client = client_for(make_user(Role.ENFORCEMENT_OFFICER, ["GM1507"]))

    for suffix in ("", "thumbnail/", "screen/"):
        problem(client.get(f"{URL}{photo.pk}/{suffix}"), 404, "not-found")
    assert client.get(URL).json()["results"] == []
    assert not AuditEvent.objects.filter(action="view").exists()


def test_anonymous_reads_are_401(api_client, photo):
    for suffix in ("", "thumbnail/", "screen/"):
        problem(api_client.get(f"{URL}{photo.pk}/{suffix}"), 401, "not-authenticated")
    problem(api_client.get(URL), 401, "not-authenticated")


def test_the_original_is_never_served(planner_api, photo):
    response = planner_api.get(f"{URL}{photo.pk}/original/")

    assert response.status_code == 404
    assert photo.original.name not in response.content.decode()


def test_the_list_is_paginated_by_upload_time_and_each_listed_photo_is_logged(
    planner_api, inspector_api, inspection, make_inspection
):
    ids = [
        upload(inspector_api, inspection, images.jpeg(100 + i, 80)).json()["id"] for i in range(3)
    ]
    upload(inspector_api, make_inspection(), images.jpeg(99, 80))  # another inspection

    first = planner_api.get(URL, {"inspection": inspection.pk, "limit": 2})
    second = planner_api.get(first.json()["next"])

    assert [p["id"] for p in first.json()["results"]] == ids[:2]
    assert [p["id"] for p in second.json()["results"]] == ids[2:]
    assert second.json()["next"] is None
    logged = AuditEvent.objects.filter(action="view").values_list("target_id", flat=True)
    assert sorted(logged) == sorted(ids)


# process_image, without HTTP.


def test_gps_that_makes_no_sense_is_ignored():
    cases = [
        {1: "N", 2: images.rational_dms(95), 3: "E", 4: images.rational_dms(4.2)},
        {1: "N", 2: images.rational_dms(52), 4: images.rational_dms(4.2)},  # no E/W
        {1: "X", 2: images.rational_dms(52), 3: "E", 4: images.rational_dms(4.2)},
        {1: "N", 2: images.rational_dms(0), 3: "E", 4: images.rational_dms(0)},  # "no fix"
        {9: "V", 1: "N", 2: images.rational_dms(52), 3: "E", 4: images.rational_dms(4.2)},
    ]
    for tags in cases:
        processed = services.process_image(images.jpeg(64, 48, tags=images.exif(gps_tags=tags)))
        assert processed.gps is None, tags


def test_gps_south_and_west_are_negative():
    processed = services.process_image(images.jpeg(64, 48, tags=images.exif(gps=(-70.6, -33.45))))

    assert processed.gps == pytest.approx((-70.6, -33.45), abs=1e-6)


@pytest.mark.parametrize(
    ("taken", "offset", "subsec", "expected"),
    [
        ("2026:07:01 10:00:00", None, None, dt.datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),  # CEST
        ("2026:01:15 10:00:00", None, None, dt.datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),  # CET
        ("2026:07:01 10:00:00", "-05:00", None, dt.datetime(2026, 7, 1, 15, 0, tzinfo=UTC)),
        ("2026:07:01 10:00:00", "+00:00", "25", dt.datetime(2026, 7, 1, 10, 0, 0, 250_000, UTC)),
        ("0000:00:00 00:00:00", None, None, None),
        ("    :  :     :  :  ", None, None, None),
        ("yesterday", None, None, None),
    ],
)
def test_taken_at_is_read_in_amsterdam_time_unless_the_camera_says_otherwise(
    taken, offset, subsec, expected
):
    tags = images.exif(taken=taken, offset=offset, subsec=subsec)

    assert services.process_image(images.jpeg(64, 48, tags=tags)).taken_at == expected


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_turns_as_pillow_exif_transpose_does(orientation):
    data = images.jpeg(64, 48, tags=images.exif(orientation=orientation))
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))

    processed = services.process_image(data)

    screen = Image.open(io.BytesIO(processed.screen))
    assert screen.size == expected.size == (processed.width, processed.height)
    width, height = screen.size
    for corner in [(3, 3), (width - 4, 3), (3, height - 4), (width - 4, height - 4)]:
        assert is_red(screen.getpixel(corner)) == is_red(expected.getpixel(corner)), corner


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(monkeypatch):
    sizes = []
    load = ImageFile.ImageFile.load

    def spy(self):
        if self.tile:  # a decode, not the no-op of an image already loaded
            sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)

    processed = services.process_image(images.jpeg(4000, 3000))

    assert sizes == [(2000, 1500)]  # libjpeg decoded at 1/2 scale, once
    assert processed.screen_size == (1600, 1200)
    assert processed.thumbnail_size == (320, 240)
    assert (processed.width, processed.height) == (4000, 3000)


def test_truncated_images_are_never_loaded_leniently(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(ImproperlyConfigured):
        services.process_image(images.jpeg())


def test_the_service_refuses_uploads_by_others(inspection, make_user):
    with pytest.raises(Exception, match="not assigned to you"):
        services.store_photo(
            inspection=inspection,
            photo_id=uuid.uuid4(),
            data=images.jpeg(),
            uploaded_by=make_user(Role.INSPECTOR, ["GM1783"]),
        )


def test_process_image_reports_refusals_on_the_file_field():
    with pytest.raises(ValidationError) as refused:
        services.process_image(b"GIF89a not really")

    assert list(refused.value.detail) == ["file"]


def test_the_schema_documents_the_photo_endpoints_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = target.read_text()
    assert "/api/v1/photos/{id}/thumbnail/" in schema
    assert "image/jpeg" in schema
    assert "multipart/form-data" in schema

"""The field app over real HTTP: a day offline, then everything sent in random order, three
times over, with one connection cut mid-upload. Nothing is lost and nothing is doubled."""

import contextlib
import hashlib
import http.client
import json
import random
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from backend.accounts.models import ApiToken
from backend.accounts.roles import Role
from inspections.models import Inspection, Photo, Submission
from tests import images

from .conftest import register
from .fieldwork import submission, visit

BOUNDARY = "----flexwonen-field-app"


def multipart(fields: dict, file: bytes) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + file
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class App:
    """The field app's HTTP client: one connection per request, as on a flaky network."""

    def __init__(self, base_url: str, token: str):
        url = urlparse(base_url)
        self.host, self.port = url.hostname, url.port
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def request(self, method, path, body=b"", content_type="application/json"):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        connection.request(
            method, path, body=body, headers={**self.headers, "Content-Type": content_type}
        )
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response.status, json.loads(payload) if payload else None

    def upload(self, inspection_id, photo_id, data):
        body = multipart({"inspection": inspection_id, "id": photo_id}, data)
        return self.request(
            "POST", "/api/v1/photos/", body, f"multipart/form-data; boundary={BOUNDARY}"
        )

    def cut_upload(self, inspection_id, photo_id, data):
        """Send the headers and half the body, then drop the connection."""
        body = multipart({"inspection": inspection_id, "id": photo_id}, data)
        head = (
            f"POST /api/v1/photos/ HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: {self.headers['Authorization']}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection((self.host, self.port), timeout=30) as sock:
            sock.sendall(head + body[: len(body) // 2])
            sock.shutdown(socket.SHUT_WR)  # the network goes away mid-upload
            with contextlib.suppress(OSError):
                sock.recv(65536)


def stored_files() -> list[Path]:
    root = Path(settings.STORAGES["photos"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_day_in_the_field(live_server, demo_region, make_user):
    from .conftest import make_organisation

    inspector = make_user(Role.INSPECTOR, ["GM1783"])
    inspection = visit(
        register(make_organisation("10000001")), inspector, make_user(Role.PLANNER, ["GM1783"])
    )
    _token, secret = ApiToken.objects.create(user=inspector, name="field app")
    app = App(live_server.url, secret)
    files_before = set(stored_files())

    # Morning, with network: fetch the day's work.
    status, work = app.request("GET", "/api/v1/field/my-work/")
    assert status == 200
    assert [v["inspection"]["id"] for v in work["visits"]] == [inspection.pk]

    # Offline: three photos, near the house, and the checklist.
    lon, lat = work["visits"][0]["location"]["point"]["coordinates"]
    photos = []
    for n in range(3):
        tags = images.exif(gps=images.moved(lon, lat, north_m=10 * n))
        data = images.jpeg(1200, 900, tags=tags)
        photos.append(
            {"id": str(uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(), "data": data}
        )
    body = submission(photos=[{"id": p["id"], "sha256": p["sha256"], "item": None} for p in photos])
    encoded = json.dumps(body).encode()

    # Back online: everything three times, in random order, one upload cut halfway.
    requests = [("submit", None)] * 3 + [("upload", p) for p in photos for _ in range(3)]
    random.Random(20261128).shuffle(requests)
    app.cut_upload(inspection.pk, photos[1]["id"], photos[1]["data"])
    replies = {"submit": [], **{p["id"]: [] for p in photos}}
    for kind, photo in requests:
        if kind == "submit":
            replies["submit"].append(
                app.request("POST", f"/api/v1/inspections/{inspection.pk}/submission/", encoded)
            )
        else:
            replies[photo["id"]].append(app.upload(inspection.pk, photo["id"], photo["data"]))

    # Exactly one submission, one inspection, three photos; nothing from the cut upload.
    assert Submission.objects.count() == 1
    assert Inspection.objects.count() == 1
    assert Inspection.objects.get().status == "submitted"
    assert sorted(str(p.pk) for p in Photo.objects.all()) == sorted(p["id"] for p in photos)
    assert len(set(stored_files()) - files_before) == 3 * 3  # original, screen, thumbnail each

    # Consistent replies: one 201 then 200s with the same content.
    statuses = [status for status, _ in replies["submit"]]
    assert sorted(statuses) == [200, 200, 201]
    stable = [
        {k: v for k, v in reply.items() if k != "missing_photos"} for _, reply in replies["submit"]
    ]
    assert stable[0] == stable[1] == stable[2]
    assert stable[0]["id"] == body["id"]
    for photo in photos:
        statuses = [status for status, _ in replies[photo["id"]]]
        assert sorted(statuses) == [200, 200, 201], photo["id"]
        assert {reply["sha256"] for _, reply in replies[photo["id"]]} == {photo["sha256"]}

    # Finally nothing is missing, and every photo was taken at the house.
    status, stored = app.request("GET", f"/api/v1/inspections/{inspection.pk}/submission/")
    assert (status, stored["missing_photos"]) == (200, [])
    assert Photo.objects.filter(far_from_location=True).count() == 0

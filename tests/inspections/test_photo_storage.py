"""Photos live behind Django's storage API: local by default, a private S3 bucket by configuration."""

import pytest
from django.core.files.base import ContentFile

from backend.settings.base import photo_storage_from_env
from inspections.storage import photo_storage


def test_local_by_default_outside_any_served_path(settings):
    from django.core.files.storage import FileSystemStorage

    storage = photo_storage()
    assert isinstance(storage, FileSystemStorage)
    assert not str(storage.location).startswith(str(settings.STATIC_ROOT))
    name = storage.save("check/photo.bin", ContentFile(b"evidence"))
    assert storage.open(name).read() == b"evidence"
    storage.delete(name)


def test_s3_by_configuration_is_private(monkeypatch):
    monkeypatch.setenv("PHOTO_STORAGE", "s3")
    monkeypatch.setenv("PHOTO_S3_BUCKET", "gemeente-westland-foto")
    monkeypatch.setenv("PHOTO_S3_ENDPOINT_URL", "https://objects.example.nl")
    config = photo_storage_from_env()
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    options = config["OPTIONS"]
    assert (options["bucket_name"], options["default_acl"], options["querystring_auth"]) == (
        "gemeente-westland-foto",
        "private",
        True,
    )
    from storages.backends.s3 import S3Storage

    storage = S3Storage(**options)  # builds without network; uploads would go to the endpoint
    assert storage.bucket_name == "gemeente-westland-foto"
    assert storage.default_acl == "private"


@pytest.mark.django_db
def test_no_url_serves_stored_photos(client):
    assert client.get("/media/inspections/1/x/original.jpg").status_code == 404
    assert client.get("/photos/inspections/1/x/original.jpg").status_code == 404

"""Where photos live: Django's storage API, never a public path.

Local files under PHOTO_ROOT by default; S3-compatible object storage (django-storages) when
PHOTO_STORAGE=s3 (see backend/settings/base.py). Nothing serves these files directly: the API
streams derivatives to those entitled, and originals stay private as evidence.
"""

from django.core.files.storage import storages


def photo_storage():
    return storages["photos"]


def photo_path(photo, filename: str) -> str:
    return f"inspections/{photo.inspection_id}/{photo.id}/{filename}"

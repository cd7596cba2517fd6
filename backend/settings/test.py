"""Test settings: the database comes from DATABASE_URL (SpatiaLite or PostGIS), as in production."""

import atexit
import shutil
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, STORAGES

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Photos of a test run go to a temporary folder of their own (one per xdist worker process).
PHOTO_ROOT = tempfile.mkdtemp(prefix="flexwonen-test-photos-")
atexit.register(shutil.rmtree, PHOTO_ROOT, ignore_errors=True)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PHOTO_ROOT},
    },
}
# Throttling is tested explicitly with low rates; elsewhere it must not get in the way.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "10000/minute",
        "user": "10000/minute",
        "auth": "10000/minute",
    },
}

if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # In memory, one per pytest-xdist worker (pytest-django adds no worker suffix for SpatiaLite).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

"""Settings shared by every environment; what differs per deployment comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "backend.api",
    "backend.accounts",
    "backend.audit",
    "geo",
    "inspections",
    "fixtures",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


_SPATIAL_ENGINES = {
    "django.db.backends.postgresql": "django.contrib.gis.db.backends.postgis",
    "django.db.backends.sqlite3": "django.contrib.gis.db.backends.spatialite",
    "django.contrib.gis.db.backends.postgis": "django.contrib.gis.db.backends.postgis",
    "django.contrib.gis.db.backends.spatialite": "django.contrib.gis.db.backends.spatialite",
}


def database_from_env(url: str) -> dict:
    """Parse DATABASE_URL, always with a spatial backend (postgres:// means PostGIS here)."""
    config = env.db_url_config(url) if "://" in url else {}
    if config.get("ENGINE") not in _SPATIAL_ENGINES:
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} is not supported: use spatialite:////absolute/path.sqlite3 "
            "or postgis://user:password@host:5432/name (postgres:// works too)."
        )
    config["ENGINE"] = _SPATIAL_ENGINES[config["ENGINE"]]
    # A failed request must change nothing: every view runs in one transaction.
    config["ATOMIC_REQUESTS"] = True
    if config["ENGINE"].endswith("spatialite"):
        # Writers wait for each other instead of failing at once with "database is locked".
        config.setdefault("OPTIONS", {})["timeout"] = 20
    return config


DATABASES = {
    "default": database_from_env(
        env("DATABASE_URL", default="") or f"spatialite:///{VAR_DIR / 'flexwonen.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # The embedded database lives in var/; create the folder so a fresh clone just works.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "backend" / "locale"]
TIME_ZONE = "Europe/Amsterdam"  # days and shifts are planned in Dutch local time
USE_I18N = True
USE_TZ = True  # stored in UTC

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
PHOTO_ROOT = env.path("PHOTO_ROOT", default=str(VAR_DIR / "photos"))


def photo_storage_from_env() -> dict:
    """Photos stay private: local files outside any served path, or a private S3 bucket."""
    if env("PHOTO_STORAGE", default="local") == "s3":
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env("PHOTO_S3_BUCKET"),
                "endpoint_url": env("PHOTO_S3_ENDPOINT_URL", default=None),
                "region_name": env("PHOTO_S3_REGION", default=None),
                "access_key": env("PHOTO_S3_ACCESS_KEY_ID", default=None),
                "secret_key": env("PHOTO_S3_SECRET_ACCESS_KEY", default=None),
                "location": env("PHOTO_S3_PREFIX", default="photos"),
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PHOTO_ROOT},
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "photos": photo_storage_from_env(),
}

# Request size limits: JSON bodies stay small; photo uploads get their own limit later.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header turns a missing credential into 401, not 403.
        "backend.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Default deny: every view must name the permission it needs.
    "DEFAULT_PERMISSION_CLASSES": ["backend.api.permissions.DenyAll"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "backend.api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "backend.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "backend.api.problems.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="60/minute"),
        "user": env("THROTTLE_USER", default="1200/minute"),
        "auth": env("THROTTLE_AUTH", default="10/minute"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": False,  # floor areas are numbers in JSON
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    # The field app works offline for days: a week, short enough to limit a lost phone's reach.
    "TOKEN_TTL": timedelta(hours=env.int("TOKEN_TTL_HOURS", default=24 * 7)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": env.int("TOKEN_LIMIT_PER_USER", default=10),
    "USER_SERIALIZER": None,
    "TOKEN_MODEL": "accounts.ApiToken",
    "TOKEN_PREFIX": "fwi_",  # recognisable to secret scanners when a token leaks into a repo
}

IDEMPOTENCY_KEY_TTL = timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))

# Fieldwork. A photo or an arrival farther than this from the location is flagged (metres).
FIELD_MAX_DISTANCE_M = env.int("FIELD_MAX_DISTANCE_M", default=150)
# Days a party gets to remedy a violation, by severity (the municipality's enforcement policy).
VIOLATION_DEADLINE_DAYS = {
    "critical": env.int("VIOLATION_DAYS_CRITICAL", default=2),
    "major": env.int("VIOLATION_DAYS_MAJOR", default=14),
    "minor": env.int("VIOLATION_DAYS_MINOR", default=42),
}
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=25 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=50_000_000)

SPECTACULAR_SETTINGS = {
    "TITLE": "Flexwonen Inspect API",
    "DESCRIPTION": (
        "Register, inspect and enforce housing for labour migrants (flexwonen, "
        "huisvesting arbeidsmigranten) in Dutch municipalities.\n\n"
        "Errors are RFC 9457 `application/problem+json`. Spatial collections are GeoJSON "
        "(RFC 7946, WGS84 lon/lat). Authenticate with `Authorization: Bearer <token>` "
        "(obtain one at `POST /api/v1/auth/tokens/`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "backend.accounts.roles.Role",
        "LocationKindEnum": "inspections.models.housing.LocationKind",
        "LocationStatusEnum": "inspections.models.housing.LocationStatus",
        "CredentialKindEnum": "inspections.models.credentials.CredentialKind",
        "OrganisationStatusEnum": "inspections.models.organisations.OrganisationStatus",
        "TemplateStatusEnum": "inspections.models.checklists.TemplateStatus",
        "SeverityEnum": "inspections.models.checklists.Severity",
        "InspectionStatusEnum": "inspections.models.inspections.InspectionStatus",
        "InspectionKindEnum": "inspections.models.inspections.InspectionKind",
        "ViolationStatusEnum": "inspections.models.inspections.ViolationStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.api.schema.add_problem_responses",
    ],
}

# Shared reference data for tests and benchmarks (CBS boundaries); never copied into the project.
SHARED_DATA_DIR = env.path("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 - a model name, not a secret
CSRF_FAILURE_VIEW = "backend.api.problems.csrf_failure"
# Unknown paths get a problem+json 404 with a hint instead of a redirect that drops POST bodies.
APPEND_SLASH = False
SILENCED_SYSTEM_CHECKS = [
    # Debian 12 ships GDAL 3.6. GDAL reads only files that staff import (import_areas), never
    # spatial references from API clients, so the missing file/network blocking is acceptable.
    "gis.W001",
]

# django-rest-knox's migrations create its own token table even though ApiToken replaces it
# (KNOX_TOKEN_MODEL); that stray table references users and breaks flushing test databases.
MIGRATION_MODULES = {"knox": None}

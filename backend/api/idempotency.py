"""Idempotency-Key for POST and PATCH (IETF httpapi-idempotency-key-header semantics).

The first successful response to a key is stored and replayed, with `Idempotent-Replayed: true`,
for a retry with the same key and the same request; the same key with a different request is a
422. Failed requests are not stored: they changed nothing (the transaction rolled back), so a
retry simply runs again. Keys expire after settings.IDEMPOTENCY_KEY_TTL.
"""

import hashlib
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .models import IdempotencyRecord
from .problems import Problem

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PATCH"})
_KEY_PATTERN = re.compile(r'^"?([\x21\x23-\x7e]{1,255})"?$')  # a Structured Field string, or bare
_REPLAYED_HEADERS = ("Location", "ETag", "Content-Location")


class _Replay(Exception):
    def __init__(self, response):
        self.response = response


def parse_key(raw: str) -> str:
    match = _KEY_PATTERN.match(raw.strip())
    if not match:
        raise Problem(
            _("The Idempotency-Key header must be 1 to 255 visible ASCII characters, e.g. a UUID."),
            problem_type="invalid-idempotency-key",
        )
    return match.group(1)


def fingerprint(request, body: bytes | None) -> str:
    """SHA-256 over what makes two requests the same: method, path with query, and body."""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.get_full_path().encode() + b"\0")
    if body is not None:
        digest.update(body)
    else:  # multipart: the parsed fields and the content of each file
        for name, value in sorted(request.data.items()):
            digest.update(name.encode() + b"=")
            if hasattr(value, "chunks"):
                for chunk in value.chunks():
                    digest.update(chunk)
                value.seek(0)
            else:
                digest.update(str(value).encode())
            digest.update(b"\0")
    return digest.hexdigest()


class IdempotencyMixin:
    """For APIView subclasses: honours Idempotency-Key on POST and PATCH by authenticated users.

    A view whose responses must never be stored (they carry secrets, like a new token) sets
    `idempotency_keys = False`.
    """

    idempotency_keys = True

    def initial(self, request, *args, **kwargs):
        self._idempotency = None
        raw_key = request.headers.get(HEADER)
        wants_key = self.idempotency_keys and raw_key is not None and request.method in METHODS
        body = None
        if wants_key and not request.content_type.startswith("multipart/"):
            body = request._request.body  # read now, before the parsers consume the stream
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttling
        if not wants_key or not request.user.is_authenticated:
            return
        key = parse_key(raw_key)
        print_ = fingerprint(request, body)
        record = IdempotencyRecord.objects.filter(owner=request.user, key=key).first()
        if record and record.created_at < timezone.now() - settings.IDEMPOTENCY_KEY_TTL:
            record.delete()
            record = None
        if record is None:
            self._idempotency = (key, print_)
            return
        if record.fingerprint != print_:
            raise Problem(
                _(
                    "Idempotency-Key %(key)s was used before for a different request. Use a new "
                    "key for a new request."
                )
                % {"key": key},
                problem_type="idempotency-key-reused",
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        headers = {**record.response_headers, "Idempotent-Replayed": "true"}
        raise _Replay(Response(record.response_body, status=record.status_code, headers=headers))

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        pending = getattr(self, "_idempotency", None)
        if pending and status.is_success(response.status_code) and isinstance(response, Response):
            response = self._store(request, response, *pending)
        return response

    def _store(self, request, response, key, print_):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    owner=request.user,
                    key=key,
                    fingerprint=print_,
                    status_code=response.status_code,
                    response_body=response.data,
                    response_headers={h: response[h] for h in _REPLAYED_HEADERS if h in response},
                )
        except IntegrityError:
            # A concurrent request with this key committed first: undo ours, let the client retry.
            set_rollback()
            exc = Problem(
                _("A request with Idempotency-Key %(key)s was processed at the same time. Retry.")
                % {"key": key},
                problem_type="idempotency-key-in-use",
                status_code=status.HTTP_409_CONFLICT,
            )
            return super().finalize_response(request, self.handle_exception(exc))
        return response


def purge_expired() -> int:
    """Delete expired records; run from `manage.py purge_idempotency_keys` (e.g. daily)."""
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    deleted, _counts = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted

"""RFC 9457 problem details for every error the service returns.

Each kind of problem has a stable `type` (a relative URI documented at /problems/<slug>),
a short `title`, and a `detail` that says what was wrong and how to fix it. Validation
problems add `errors`, mapping each field (dotted path, list items as [i]) to its messages.
"""

import logging
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.utils import json
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.slug}"


def _type(slug: str, title, description) -> ProblemType:
    return ProblemType(slug, title, description)


PROBLEM_TYPES: dict[str, ProblemType] = {
    t.slug: t
    for t in [
        _type(
            "validation-error",
            gettext_lazy("Invalid request"),
            gettext_lazy(
                "One or more fields are invalid. `errors` maps each field to what is wrong with it."
            ),
        ),
        _type(
            "malformed-request",
            gettext_lazy("Malformed request"),
            gettext_lazy(
                "The body could not be read, e.g. JSON with a syntax error. Fix the syntax and "
                "retry."
            ),
        ),
        _type(
            "not-authenticated",
            gettext_lazy("Authentication required"),
            gettext_lazy(
                "Send `Authorization: Bearer <token>`; obtain a token at POST /api/v1/auth/tokens/."
            ),
        ),
        _type(
            "forbidden",
            gettext_lazy("Not allowed"),
            gettext_lazy("You are signed in, but your role does not allow this action."),
        ),
        _type(
            "not-found",
            gettext_lazy("Not found"),
            gettext_lazy("Nothing exists at this address, or it is not visible to you."),
        ),
        _type(
            "method-not-allowed",
            gettext_lazy("Method not allowed"),
            gettext_lazy(
                "This resource does not support this HTTP method; the Allow header lists those it "
                "does."
            ),
        ),
        _type(
            "not-acceptable",
            gettext_lazy("Not acceptable"),
            gettext_lazy("None of the media types in the Accept header can be produced here."),
        ),
        _type(
            "unsupported-media-type",
            gettext_lazy("Unsupported media type"),
            gettext_lazy(
                "Send the body with a Content-Type this endpoint reads (usually application/json)."
            ),
        ),
        _type(
            "content-too-large",
            gettext_lazy("Request too large"),
            gettext_lazy("The request body exceeds the size limit of this endpoint."),
        ),
        _type(
            "too-many-requests",
            gettext_lazy("Too many requests"),
            gettext_lazy("You sent too many requests; wait the number of seconds in Retry-After."),
        ),
        _type(
            "conflict",
            gettext_lazy("Conflict"),
            gettext_lazy("The request conflicts with the current state of the resource."),
        ),
        _type(
            "precondition-failed",
            gettext_lazy("Precondition failed"),
            gettext_lazy(
                "The resource changed since you read it (If-Match did not match). `current` holds "
                "its current state; merge your change into it and retry with the new ETag."
            ),
        ),
        _type(
            "idempotency-key-reused",
            gettext_lazy("Idempotency key reused"),
            gettext_lazy(
                "This Idempotency-Key was already used for a different request. Use a new key for "
                "a new request, or resend exactly the same request to get its stored response."
            ),
        ),
        _type(
            "idempotency-key-in-use",
            gettext_lazy("Idempotency key in use"),
            gettext_lazy(
                "A request with this Idempotency-Key is being processed at the same moment. Retry."
            ),
        ),
        _type(
            "invalid-idempotency-key",
            gettext_lazy("Invalid Idempotency-Key"),
            gettext_lazy(
                "The Idempotency-Key header must be 1 to 255 visible ASCII characters, e.g. a UUID."
            ),
        ),
        _type(
            "service-unavailable",
            gettext_lazy("Service unavailable"),
            gettext_lazy("A component the service depends on does not answer. Retry later."),
        ),
        _type(
            "server-error",
            gettext_lazy("Internal server error"),
            gettext_lazy("An unexpected error occurred. It was logged; nothing was changed."),
        ),
    ]
}


class Problem(exceptions.APIException):
    """An API error with a problem type and optional extension members.

    Raise a subclass (or Problem itself with `problem_type=`) from services or views;
    the exception handler turns it into problem+json and rolls the transaction back.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    problem_type = "validation-error"

    def __init__(
        self, detail=None, *, problem_type=None, status_code=None, headers=None, **extensions
    ):
        super().__init__(detail)
        if problem_type:
            self.problem_type = problem_type
        if status_code:
            self.status_code = status_code
        self.headers = headers or {}
        self.extensions = extensions


class Conflict(Problem):
    status_code = status.HTTP_409_CONFLICT
    problem_type = "conflict"


class PreconditionFailed(Problem):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    problem_type = "precondition-failed"


class ServiceUnavailable(Problem):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    problem_type = "service-unavailable"


# DRF exceptions and the problem type each becomes.
_TYPES_BY_EXCEPTION = [
    (exceptions.ValidationError, "validation-error"),
    (exceptions.ParseError, "malformed-request"),
    (exceptions.NotAuthenticated, "not-authenticated"),
    (exceptions.AuthenticationFailed, "not-authenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "too-many-requests"),
]


class ProblemResponse(HttpResponse):
    """An application/problem+json response, rendered at once.

    A plain HttpResponse rather than a DRF Response, so content negotiation can never turn an
    error into an HTML page.
    """

    def __init__(
        self,
        *,
        status_code: int,
        problem_type: str,
        detail: str,
        instance: str | None = None,
        **extensions,
    ):
        kind = PROBLEM_TYPES[problem_type]
        body = {
            "type": kind.uri,
            "title": str(kind.title),
            "status": status_code,
            "detail": str(detail),
        }
        if instance:
            body["instance"] = instance
        body.update(extensions)
        super().__init__(
            json.dumps(body, cls=JSONEncoder, ensure_ascii=False),
            status=status_code,
            content_type=PROBLEM_CONTENT_TYPE,
        )
        self.problem = body


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into {"field.sub[0].name": ["message", ...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors" and prefix:  # about the nested object as a whole
                path = prefix
            elif isinstance(key, int):  # an item of a list (DRF keys list errors by index)
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, path))
    elif isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(flatten_errors(item, f"{prefix}[{index}]"))
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def validation_detail(errors: dict[str, list[str]]) -> str:
    fields = [name for name in errors if name != "non_field_errors"]
    general = " ".join(errors.get("non_field_errors", []))
    if not fields:
        return general or _("The request is invalid.")
    first = f"{fields[0]}: {errors[fields[0]][0]}"
    if len(fields) == 1 and not general:
        return first
    return _("%(count)d fields are invalid (%(fields)s). %(first)s See `errors` for all.") % {
        "count": len(fields),
        "fields": ", ".join(fields),
        "first": first,
    }


def problem_for_api_exception(exc: exceptions.APIException, request) -> ProblemResponse:
    problem_type = getattr(exc, "problem_type", None) or next(
        (slug for cls, slug in _TYPES_BY_EXCEPTION if isinstance(exc, cls)), "server-error"
    )
    extensions = dict(getattr(exc, "extensions", {}))
    if isinstance(exc, exceptions.ValidationError) and not isinstance(exc, Problem):
        extensions["errors"] = flatten_errors(exc.detail)
        detail = validation_detail(extensions["errors"])
    elif isinstance(exc.detail, (list, dict)):
        detail = " ".join(str(v) for v in flatten_errors(exc.detail).values())
    else:
        detail = str(exc.detail)
    if isinstance(exc, exceptions.NotAuthenticated):
        detail = _(
            "No credentials were sent. Send `Authorization: Bearer <token>`; obtain a token with "
            "POST /api/v1/auth/tokens/ (username and password)."
        )
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extensions["retry_after"] = int(exc.wait)
    if isinstance(exc, exceptions.MethodNotAllowed):
        detail = _("%(detail)s Allowed methods are listed in the Allow header.") % {
            "detail": detail
        }
    return ProblemResponse(
        status_code=exc.status_code,
        problem_type=problem_type,
        detail=detail,
        instance=request.path if request is not None else None,
        **extensions,
    )


def server_error_problem(request) -> ProblemResponse:
    reference = str(uuid.uuid4())
    logger.exception("Unhandled error, reference %s", reference)
    return ProblemResponse(
        status_code=500,
        problem_type="server-error",
        detail=_(
            "An unexpected error occurred; nothing was changed. Quote reference %(ref)s if you "
            "report it."
        )
        % {"ref": reference},
        instance=request.path if request is not None else None,
        reference=reference,
    )


def _too_large_problem(request) -> ProblemResponse:
    return ProblemResponse(
        status_code=413,
        problem_type="content-too-large",
        detail=_("The request body is larger than this endpoint accepts."),
        instance=request.path if request is not None else None,
    )


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: any exception becomes problem+json; the transaction rolls back."""
    request = context.get("request")
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        return _too_large_problem(request)
    if isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc))
    if isinstance(exc, Http404) and not isinstance(exc, exceptions.APIException):
        exc = exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    drf_response = drf_exception_handler(exc, context)  # also marks the transaction for rollback
    if drf_response is None:
        set_rollback()
        return server_error_problem(request)
    response = problem_for_api_exception(exc, request)
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in drf_response:
            response[header] = drf_response[header]
    for header, value in getattr(exc, "headers", {}).items():
        response[header] = value
    return response


# Django-level handlers, for errors raised outside DRF views (see backend/urls.py).


def bad_request(request, exception=None):
    return ProblemResponse(
        status_code=400,
        problem_type="malformed-request",
        detail=_("The request could not be understood."),
        instance=request.path,
    )


def permission_denied(request, exception=None):
    return ProblemResponse(
        status_code=403,
        problem_type="forbidden",
        detail=str(exception) if exception and str(exception) else _("You may not do this."),
        instance=request.path,
    )


def not_found(request, exception=None):
    return ProblemResponse(
        status_code=404,
        problem_type="not-found",
        detail=_("There is nothing at %(path)s. The API starts at /api/v1/.")
        % {"path": request.path},
        instance=request.path,
    )


def server_error(request):
    return server_error_problem(request)


def csrf_failure(request, reason=""):
    return ProblemResponse(
        status_code=403,
        problem_type="forbidden",
        detail=_(
            "CSRF check failed (%(reason)s). Web pages must send the CSRF token; API clients "
            "should use a Bearer token instead of a session."
        )
        % {"reason": reason},
        instance=request.path,
    )

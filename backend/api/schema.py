"""OpenAPI additions: the headers of our plumbing, and the problem+json answers of operations."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter

from .conditional import (
    ConditionalDestroyMixin,
    ConditionalRetrieveMixin,
    ConditionalUpdateMixin,
)
from .idempotency import METHODS as IDEMPOTENT_METHODS
from .idempotency import IdempotencyMixin
from .problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (a UUID) per logical request. A retry with the same key and body "
        "returns the stored response with `Idempotent-Replayed: true` and does nothing again; "
        "the same key with another body is a 422. Keys live 24 hours."
    ),
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag you read. If the resource changed since, the answer is 412 with its "
    "current state, and nothing is saved.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag you hold; 304 Not Modified when it is still current.",
)


class AutoSchema(SpectacularAutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if (
            isinstance(self.view, IdempotencyMixin)
            and self.view.idempotency_keys
            and self.method in IDEMPOTENT_METHODS
        ):
            parameters.append(IDEMPOTENCY_KEY)
        if not self._is_list_view():
            writes = (
                self.method in ("PUT", "PATCH") and isinstance(self.view, ConditionalUpdateMixin)
            ) or (self.method == "DELETE" and isinstance(self.view, ConditionalDestroyMixin))
            if writes:
                parameters.append(IF_MATCH)
            elif self.method == "GET" and isinstance(self.view, ConditionalRetrieveMixin):
                parameters.append(IF_NONE_MATCH)
        return parameters


def _problem_schema():
    return {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {
                "type": "string",
                "format": "uri-reference",
                "enum": sorted(t.uri for t in PROBLEM_TYPES.values()),
                "description": "Which kind of problem; documented at this address.",
            },
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What was wrong and how to fix it."},
            "instance": {"type": "string", "format": "uri-reference"},
            "errors": {
                "type": "object",
                "description": "Validation problems only: messages per field (dotted path).",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "additionalProperties": True,
    }


_COMMON = {
    "401": "Not authenticated: no, an expired or a revoked token.",
    "403": "Authenticated, but your role does not allow this.",
    "429": "Too many requests; see Retry-After.",
    "500": "Unexpected server error; nothing was changed.",
}
_BY_CASE = {
    "400": "Invalid input; `errors` says which fields and why.",
    "404": "Not found, or not visible to you.",
    "412": "If-Match did not match; `current` holds the current state.",
    "422": "Idempotency-Key reused for a different request.",
}


def add_problem_responses(result, generator, request, public):
    """Postprocessing hook: document the problem+json answers every operation can give."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = _problem_schema()
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            codes = dict(_COMMON)
            if operation.get("requestBody") or operation.get("parameters"):
                codes["400"] = _BY_CASE["400"]
            if "{" in path:
                codes["404"] = _BY_CASE["404"]
            names = {p.get("name") for p in operation.get("parameters", [])}
            if "If-Match" in names:
                codes["412"] = _BY_CASE["412"]
            if "Idempotency-Key" in names:
                codes["422"] = _BY_CASE["422"]
            if not operation.get("security") or {} in operation.get("security", []):
                codes.pop("401")
                codes.pop("403")
            responses = operation.setdefault("responses", {})
            for code, description in codes.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                    },
                )
    return result

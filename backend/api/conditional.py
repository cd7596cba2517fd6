"""ETags on detail resources, If-None-Match (304) and If-Match (412 with the current state).

The ETag is a hash of the representation the client sees, so it changes exactly when what the
client would read changes, whatever the model behind it.
"""

import hashlib

from django.utils.http import parse_etags
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.utils import json
from rest_framework.utils.encoders import JSONEncoder

from .problems import PreconditionFailed


def etag_for(data) -> str:
    payload = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    return f'"{hashlib.sha256(payload.encode()).hexdigest()[:32]}"'


def require_fresh(request, current_data) -> None:
    """Raise 412 when the request's If-Match does not name the current version."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    current = etag_for(current_data)
    tags = parse_etags(header)
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed(
        _(
            "This resource changed after you read it (If-Match %(sent)s, current ETag "
            "%(current)s). "
            "Nothing was saved. Apply your change to `current` and send it with the new ETag."
        )
        % {"sent": header, "current": current},
        headers={"ETag": current},
        current=current_data,
        current_etag=current,
    )


def conditional_response(request, data, status_code=status.HTTP_200_OK) -> Response:
    """A response with an ETag, or 304 Not Modified when the client's If-None-Match matches."""
    etag = etag_for(data)
    if request.method in ("GET", "HEAD") and etag in parse_etags(
        request.headers.get("If-None-Match", "")
    ):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(data, status=status_code, headers={"ETag": etag})


class ConditionalRetrieveMixin:
    """Instead of RetrieveModelMixin: the representation with its ETag, or 304 Not Modified."""

    def retrieve(self, request, *args, **kwargs):
        return conditional_response(request, self.get_serializer(self.get_object()).data)


class _LockedForWriteMixin:
    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.method not in SAFE_METHODS:
            # Lock the row between the If-Match check and the write (PostgreSQL; SQLite
            # serialises writers anyway).
            queryset = queryset.select_for_update(of=("self",))
        return queryset


class ConditionalUpdateMixin(_LockedForWriteMixin):
    """Instead of UpdateModelMixin: PUT and PATCH honour If-Match and answer with the new ETag."""

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        require_fresh(request, self.get_serializer(instance).data)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return conditional_response(request, self.get_serializer(serializer.instance).data)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.save()


class ConditionalDestroyMixin(_LockedForWriteMixin):
    """Instead of DestroyModelMixin: DELETE honours If-Match."""

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        require_fresh(request, self.get_serializer(instance).data)
        self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance):
        instance.delete()

"""Base classes for every API view: they carry the plumbing (idempotency keys) so views need not."""

from rest_framework import generics, views, viewsets

from .idempotency import IdempotencyMixin


class APIView(IdempotencyMixin, views.APIView):
    pass


class GenericAPIView(IdempotencyMixin, generics.GenericAPIView):
    pass


class GenericViewSet(IdempotencyMixin, viewsets.GenericViewSet):
    pass

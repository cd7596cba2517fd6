"""Cross-cutting API plumbing that every endpoint uses.

problem+json errors (problems), idempotency keys (idempotency), ETags and If-Match
(conditional), cursor pagination (pagination), permissions, throttling, GeoJSON and
problem renderers, the OpenAPI schema additions (schema) and health checks (health).
"""

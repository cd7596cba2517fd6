"""Cursor pagination: stable while clients scroll or sync, with a hard maximum page size."""

from rest_framework import pagination
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    ordering = "id"  # unique and immutable, as cursor pagination requires


class GeoJSONCursorPagination(CursorPagination):
    """A page of features as one FeatureCollection, with OGC API style `links` to the next page."""

    def get_paginated_response(self, data):
        links = [
            {"rel": rel, "href": href, "type": "application/geo+json"}
            for rel, href in (("next", self.get_next_link()), ("prev", self.get_previous_link()))
            if href
        ]
        features = data["features"] if isinstance(data, dict) else data
        return Response(
            {
                "type": "FeatureCollection",
                "features": features,
                "numberReturned": len(features),
                "links": links,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["type", "features", "links"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": schema.get("properties", {}).get("features", schema),
                "numberReturned": {"type": "integer"},
                "links": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "rel": {"type": "string", "enum": ["next", "prev"]},
                            "href": {"type": "string", "format": "uri"},
                            "type": {"type": "string"},
                        },
                    },
                },
            },
        }

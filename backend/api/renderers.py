from rest_framework.renderers import JSONRenderer


class GeoJSONRenderer(JSONRenderer):
    """GeoJSON (RFC 7946) with its own media type; `?format=geojson` selects it too."""

    media_type = "application/geo+json"
    format = "geojson"

"""Spatial reference data: municipalities, districts, neighbourhoods, their import and lookup."""

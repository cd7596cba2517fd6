"""Every geometry column must have a working spatial index; this module checks and repairs that.

On SQLite, Django rebuilds a table for many schema changes (AddConstraint, AlterField, ...), and
the rebuilt table comes back with SpatiaLite's R*Tree index disabled. Lookups that consult the
index (geo.services.locate) would then find nothing, so after every migration the missing
indexes are recreated (geo.apps), and the tests assert that none is missing on either database.
"""

from django.apps import apps
from django.contrib.gis.db.models import GeometryField
from django.db import connections


def geometry_columns(using: str = "default") -> list[tuple[str, str]]:
    """(table, column) of every geometry field of every installed model on this database."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    return [
        (model._meta.db_table, field.column)
        for model in apps.get_models()
        if model._meta.db_table in tables
        for field in model._meta.local_fields
        if isinstance(field, GeometryField) and field.spatial_index
    ]


def missing_spatial_indexes(using: str = "default") -> list[tuple[str, str]]:
    connection = connections[using]
    missing = []
    with connection.cursor() as cursor:
        for table, column in geometry_columns(using):
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT 1 FROM pg_indexes WHERE tablename = %s AND indexdef ~* %s",
                    [table, rf"USING gist \({column}\)"],
                )
            else:
                cursor.execute(
                    "SELECT 1 FROM geometry_columns WHERE f_table_name = %s "
                    "AND f_geometry_column = %s AND spatial_index_enabled = 1",
                    [table.lower(), column.lower()],
                )
            if cursor.fetchone() is None:
                missing.append((table, column))
    return missing


def repair_spatialite_indexes(using: str = "default") -> list[tuple[str, str]]:
    """Recreate and refill the R*Tree indexes SpatiaLite lost; returns what was repaired."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    repaired = missing_spatial_indexes(using)
    with connection.cursor() as cursor:
        for table, column in repaired:
            # Drop the stale R*Tree first; CreateSpatialIndex then builds it from the rows.
            cursor.execute(f'DROP TABLE IF EXISTS "idx_{table}_{column}"')
            cursor.execute("SELECT CreateSpatialIndex(%s, %s)", [table, column])
    return repaired

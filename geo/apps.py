from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _repair_spatial_indexes(sender, using, **kwargs):
    from .spatial_index import repair_spatialite_indexes

    repair_spatialite_indexes(using)


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = "Geography"

    def ready(self):
        # Infrastructure, not business logic: see geo/spatial_index.py for why.
        post_migrate.connect(_repair_spatial_indexes, dispatch_uid="geo.repair_spatial_indexes")

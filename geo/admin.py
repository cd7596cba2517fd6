from django.contrib.gis import admin

from .models import District, Municipality, Neighbourhood


class AreaAdmin(admin.GISModelAdmin):
    """Back-office editing of boundaries on a map; normally they come from import_areas."""

    list_display = ["code", "name", "year", "updated_at"]
    list_filter = ["year"]
    search_fields = ["code", "name"]
    ordering = ["code", "-year"]
    gis_widget_kwargs = {"attrs": {"default_lon": 5.3, "default_lat": 52.1, "default_zoom": 7}}


@admin.register(Municipality)
class MunicipalityAdmin(AreaAdmin):
    pass


@admin.register(District)
class DistrictAdmin(AreaAdmin):
    list_display = [*AreaAdmin.list_display, "municipality"]
    list_select_related = ["municipality"]
    autocomplete_fields = ["municipality"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(AreaAdmin):
    list_display = [*AreaAdmin.list_display, "district", "municipality"]
    list_select_related = ["municipality", "district"]
    autocomplete_fields = ["municipality", "district"]

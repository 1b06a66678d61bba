from django.contrib import admin

from fupin.areas.models import Area, VillageAttributes


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "full_name")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(VillageAttributes)
class VillageAttributesAdmin(admin.ModelAdmin):
    list_display = ("village", "year", "rural_population")
    list_filter = ("year",)
    raw_id_fields = ("village",)

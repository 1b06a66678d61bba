from django.contrib import admin

from fupin.areas.models import Area, VillageAttributes
from fupin.core.admin_audit import AuditedAdminMixin


@admin.register(Area)
class AreaAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "level", "full_name")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(VillageAttributes)
class VillageAttributesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("village", "year", "rural_population")
    list_filter = ("year",)
    raw_id_fields = ("village",)

"""Read-only admin: spot checks change only through fupin.spotchecks.services (scope, role, audit)."""

from django.contrib import admin

from fupin.core.admin_audit import ReadOnlyAdminMixin
from fupin.spotchecks.models import SampledHousehold, SpotCheck, SurveyResponse


@admin.register(SpotCheck)
class SpotCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("county", "year", "seed", "share", "exited_total", "ordinary_total", "drawn_by", "drawn_at")
    list_filter = ("year",)
    raw_id_fields = ("county", "drawn_by")


@admin.register(SampledHousehold)
class SampledHouseholdAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("spot_check", "part", "household", "township", "finding", "recorded_by", "recorded_at")
    list_filter = ("part", "finding")
    raw_id_fields = ("spot_check", "household", "township", "recorded_by")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("spot_check", "household", "satisfied", "recorded_by", "recorded_at")
    list_filter = ("satisfied",)
    raw_id_fields = ("spot_check", "household", "recorded_by")

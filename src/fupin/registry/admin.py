from django.contrib import admin

from fupin.core.admin_audit import ReadOnlyAdminMixin
from fupin.registry.models import Household, HouseholdEvent, IncomeRecord, Member


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "head_name", "village", "kind", "attribute", "status")
    list_filter = ("kind", "status", "attribute")
    search_fields = ("number", "head_name")
    raw_id_fields = ("village",)
    show_full_result_count = False


@admin.register(Member)
class MemberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "household", "relation", "state")
    exclude = ("id_number",)  # never shown unmasked in the admin
    raw_id_fields = ("household",)
    show_full_result_count = False


@admin.register(IncomeRecord)
class IncomeRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("household", "year", "wage", "business", "transfer")
    raw_id_fields = ("household",)
    show_full_result_count = False


@admin.register(HouseholdEvent)
class HouseholdEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "household", "type", "message")
    raw_id_fields = ("household",)
    show_full_result_count = False

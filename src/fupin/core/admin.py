from django.contrib import admin

from fupin.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "ip", "action", "object_type", "object_id", "area_code")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_name")
    # newest first by the primary key (which grows with time, as core.selectors.audit_list orders):
    # `at` has only a BRIN index (migration core 0006), which cannot give rows in order
    ordering = ("-id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

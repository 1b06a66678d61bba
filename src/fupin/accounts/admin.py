from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from fupin.accounts.models import User, UserArea
from fupin.core.admin_audit import AuditedAdminMixin


class UserAreaInline(admin.TabularInline):
    model = UserArea
    raw_id_fields = ("area",)
    extra = 0


@admin.register(User)
class FupinUserAdmin(AuditedAdminMixin, UserAdmin):
    list_display = ("username", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = UserAdmin.fieldsets + (("扶贫", {"fields": ("role",)}),)
    inlines = [UserAreaInline]

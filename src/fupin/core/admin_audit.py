"""Django admin changes go into the audit trail like every other change (security.md 4)."""

from django.forms.models import model_to_dict

from fupin.core import audit


class AuditedAdminMixin:
    """Records create/update/delete made through the Django admin, with before and after."""

    audit_object_type = ""

    def _snapshot(self, obj):
        data = model_to_dict(obj)
        data.pop("password", None)
        return audit.jsonable({k: (str(v) if hasattr(v, "pk") else v) for k, v in data.items()
                               if not isinstance(v, list | tuple) or all(isinstance(x, str | int) for x in v)})

    def save_model(self, request, obj, form, change):
        before = self._snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        after = self._snapshot(obj)
        b, a = audit.diff(before, after)
        audit.record(actor=request.user, action=f"admin.{'update' if change else 'create'}",
                     object_type=self.audit_object_type or obj._meta.model_name, object_id=obj.pk, before=b, after=a)

    def delete_model(self, request, obj):
        before = self._snapshot(obj)
        pk = obj.pk
        super().delete_model(request, obj)
        audit.record(actor=request.user, action="admin.delete",
                     object_type=self.audit_object_type or obj._meta.model_name, object_id=pk, before=before)


class ReadOnlyAdminMixin:
    """Registry tables are changed only through services (validation, events, audit)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

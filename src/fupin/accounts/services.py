from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fupin.accounts.models import Role, User, UserArea
from fupin.areas.models import Area
from fupin.core import audit
from fupin.core.errors import ApplicationError, ErrorCode


@transaction.atomic
def user_create(*, actor, username: str, role: str, area_codes: list[str], password: str,
                validate: bool = True) -> User:
    """Create a user scoped to the given areas. Weak passwords are refused (security.md 7)."""
    if role not in Role.values:
        raise ApplicationError(ErrorCode.E_ENUM, f"未知角色 {role} / unknown role; 可选 / choose: {', '.join(Role.values)}")
    if User.objects.filter(username=username).exists():
        raise ApplicationError(ErrorCode.E_INVALID, f"用户名 {username} 已存在 / username already exists")
    areas = list(Area.objects.filter(code__in=area_codes))
    missing = set(area_codes) - {a.code for a in areas}
    if missing:
        raise ApplicationError(ErrorCode.E_UNKNOWN_AREA, f"未知区划 / unknown area: {', '.join(sorted(missing))}")
    if not areas and role != Role.ADMIN:
        raise ApplicationError(ErrorCode.E_REQUIRED, "至少指定一个区划 / at least one --area is required")
    user = User(username=username, role=role, is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ApplicationError(ErrorCode.E_INVALID, "；".join(exc.messages)) from exc
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    UserArea.objects.bulk_create([UserArea(user=user, area=a) for a in areas])
    audit.record(actor=actor, action="user.create", object_type="user", object_id=user.pk,
                 after={"username": username, "role": role, "areas": sorted(a.code for a in areas)})
    return user

"""Login with lockout: 5 failed attempts for one user from one IP lock that pair for 30
minutes; each failure is audited (security.md 8)."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fupin.accounts.models import LoginAttempt
from fupin.core import audit
from fupin.core.middleware import client_ip

MAX_FAILURES = getattr(settings, "LOGIN_MAX_FAILURES", 5)
LOCK_MINUTES = getattr(settings, "LOGIN_LOCK_MINUTES", 30)


def is_locked(username: str, ip: str, now=None) -> bool:
    now = now or timezone.now()
    since = now - dt.timedelta(minutes=LOCK_MINUTES)
    last_ok = (LoginAttempt.objects.filter(username=username, ip=ip, success=True, at__gte=since)
               .order_by("-at").values_list("at", flat=True).first())
    failures = LoginAttempt.objects.filter(username=username, ip=ip, success=False, at__gte=last_ok or since)
    return failures.count() >= MAX_FAILURES


class LockoutBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        ip = client_ip(request) if request is not None else ""
        now = timezone.now()
        if is_locked(username, ip, now):
            audit.record(actor=None, action="login.locked", object_type="user", object_id=username,
                         after={"ip": ip})
            raise PermissionDenied("账户已锁定 30 分钟 / account locked for 30 minutes")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        LoginAttempt.objects.create(username=username, ip=ip, at=now, success=user is not None)
        if user is None:
            e = audit.entry(actor=None, action="login.failed", object_type="user", object_id=username)
            e.ip = ip
            e.save(force_insert=True)
        return user

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    """domain.md section 1."""

    CITY = "city", "市扶贫办"
    COUNTY = "county", "县扶贫办"
    TOWNSHIP = "township", "乡镇"
    VILLAGE = "village", "村两委/驻村工作队"
    HELPER = "helper", "帮扶责任人"
    INSPECTOR = "inspector", "督查"
    AUDITOR = "auditor", "审计管理员"
    ADMIN = "admin", "系统管理员"


class User(AbstractUser):
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.VILLAGE)
    areas = models.ManyToManyField("areas.Area", through="UserArea", related_name="users", blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"


class UserArea(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="area_links")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "area"], name="uniq_user_area")]


class LoginAttempt(models.Model):
    """Every login attempt, for the lockout rule (security.md 8)."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    success = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["username", "ip", "at"])]

"""Procedure cases, their steps, attachments, public notices and objections (domain.md section 7).

Only the transition services in fupin.procedures.services change a case's state.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from fupin.procedures import machines as m


class Case(models.Model):
    KIND_CHOICES = list(m.KIND_LABELS.items())
    SUB_CHOICES = list(m.ADJUSTMENT_LABELS.items())

    kind = models.CharField("程序", max_length=16, choices=KIND_CHOICES)
    sub_kind = models.CharField("调整类型", max_length=20, choices=SUB_CHOICES, blank=True)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="cases")
    year = models.PositiveSmallIntegerField("年度")
    state = models.CharField("当前环节", max_length=24, db_index=True)
    closed = models.BooleanField("已办结", default=False)
    suspended = models.BooleanField("因异议暂停", default=False)
    version = models.PositiveIntegerField(default=1)
    prior_status = models.CharField("发起时脱贫状态", max_length=6, blank=True)
    monitored_since = models.DateTimeField("纳入监测时间", null=True, blank=True)
    elimination_method = models.CharField("风险消除方式", max_length=8, blank=True)
    opened_at = models.DateTimeField("发起时间")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("最近办理", db_index=True)
    # who took the latest step: the maker-checker rule refuses them the next one
    last_actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "程序案件"
        verbose_name_plural = "程序案件"
        constraints = [
            # one open case of a procedure per household
            models.UniqueConstraint(fields=["household", "kind"], condition=Q(closed=False),
                                    name="uniq_open_case_per_household_kind"),
        ]
        indexes = [models.Index(fields=["closed", "state"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.machine.label} {self.state_label}"

    @property
    def machine(self) -> m.Machine:
        return m.machine_for(self.kind, self.sub_kind)

    @property
    def state_label(self) -> str:
        return m.STATE_LABELS.get(self.state, self.state)

    @property
    def role_now(self) -> str | None:
        return None if self.closed else self.machine.role_at(self.state)


class Step(models.Model):
    """One transition of a case: who, when, from, to, opinion, votes, reason (domain.md 7)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps")
    seq = models.PositiveIntegerField()
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24)
    action = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField()
    opinion = models.TextField("意见", blank=True)
    reason = models.TextField("驳回理由", blank=True)
    votes_agree = models.PositiveIntegerField("同意", null=True, blank=True)
    votes_against = models.PositiveIntegerField("反对", null=True, blank=True)
    votes_abstain = models.PositiveIntegerField("弃权", null=True, blank=True)
    notice = models.ForeignKey("Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="uniq_case_step_seq")]

    @property
    def from_label(self) -> str:
        return m.STATE_LABELS.get(self.from_state, self.from_state)

    @property
    def to_label(self) -> str:
        return m.STATE_LABELS.get(self.to_state, self.to_state)

    @property
    def has_votes(self) -> bool:
        return self.votes_agree is not None


class Attachment(models.Model):
    """A scanned signature or photo kept with a step; stored under MEDIA_ROOT by its sha256."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    step = models.ForeignKey(Step, null=True, on_delete=models.PROTECT, related_name="attachments")
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=200)  # relative to MEDIA_ROOT
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()


class Notice(models.Model):
    """A public notice (公示/公告) with scope, start, end and its de-identified rows (domain.md 7)."""

    LEVEL_CHOICES = [(m.VILLAGE, "村级公示"), (m.TOWNSHIP, "乡镇公示"), (m.COUNTY, "县级公告")]

    level = models.CharField("级别", max_length=10, choices=LEVEL_CHOICES)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    start = models.DateTimeField("开始")
    end = models.DateTimeField("结束", db_index=True)
    days = models.PositiveSmallIntegerField("天数")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # de-identified snapshot: [{"name", "village", "group", "attribute", "matter"}] — never ID, phone or account
    rows = models.JSONField(default=list)
    pack_name = models.CharField(max_length=60, blank=True)
    # the printable board notice, rendered once on its first request and served from MEDIA_ROOT
    pdf_path = models.CharField(max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = "公示公告"
        verbose_name_plural = "公示公告"

    def __str__(self) -> str:
        return self.title

    @property
    def word(self) -> str:
        return "公告" if self.level == m.COUNTY else "公示"


class NoticeEntry(models.Model):
    """A case on a notice, at the state (notice step) it waited at when it was put there."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="entries")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notice_entries")
    state = models.CharField(max_length=24)
    row = models.PositiveIntegerField()

    class Meta:
        ordering = ["notice_id", "row"]
        constraints = [models.UniqueConstraint(fields=["case", "state"], name="uniq_case_notice_state")]


class Objection(models.Model):
    """An objection received against a notice; it suspends the cases it names until resolved."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    cases = models.ManyToManyField(Case, related_name="objections")
    content = models.TextField("异议内容")
    received_at = models.DateTimeField("收到时间")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    upheld = models.BooleanField("异议成立", null=True, blank=True)
    resolution = models.TextField("处理意见", blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

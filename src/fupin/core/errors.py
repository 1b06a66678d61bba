"""Stable error codes and the one application exception (architecture.md, layer 5).

Codes never change once released: scripts and the API match on them. Messages are
Chinese first with English after a slash, and use named placeholders.
"""

from django.db import models


class ErrorCode(models.TextChoices):
    # exchange format (exchange-format.md, "Validation errors")
    E_MISSING_COLUMN = "E_MISSING_COLUMN", "缺少必填列 / missing required column"
    E_REQUIRED = "E_REQUIRED", "必填项为空 / required value is empty"
    E_ENUM = "E_ENUM", "取值不在列表中 / value not in the list"
    E_NUMBER = "E_NUMBER", "数字无效 / invalid number"
    E_ID_FORMAT = "E_ID_FORMAT", "证件号码格式错误 / malformed ID number"
    E_ID_CHECKSUM = "E_ID_CHECKSUM", "证件号码校验位错误 / wrong ID check character"
    E_ID_BIRTHDATE = "E_ID_BIRTHDATE", "证件号码中的出生日期无效 / invalid birth date in ID number"
    E_SEX_MISMATCH = "E_SEX_MISMATCH", "性别与证件号码不符 / sex disagrees with ID number"
    E_BIRTHDATE_MISMATCH = "E_BIRTHDATE_MISMATCH", "出生日期与证件号码不符 / birth date disagrees with ID number"
    E_DUP_HOUSEHOLD_NO = "E_DUP_HOUSEHOLD_NO", "户编号重复 / duplicate household number"
    E_DUP_ID_IN_FILE = "E_DUP_ID_IN_FILE", "文件中证件号码重复 / ID number repeated in file"
    E_DUP_ID_IN_REGISTRY = "E_DUP_ID_IN_REGISTRY", "此人已是其他户的成员 / person already in another household"
    E_UNKNOWN_AREA = "E_UNKNOWN_AREA", "未知的村级行政区划代码 / unknown village code"
    E_UNKNOWN_HOUSEHOLD = "E_UNKNOWN_HOUSEHOLD", "未知的户编号 / unknown household number"
    E_NO_HEAD = "E_NO_HEAD", "该户没有户主 / household has no head"
    E_MULTIPLE_HEADS = "E_MULTIPLE_HEADS", "该户有多个户主 / household has more than one head"
    E_HEAD_MISMATCH = "E_HEAD_MISMATCH", "户主信息与成员表不符 / head differs from member sheet"
    E_EMPTY_HOUSEHOLD = "E_EMPTY_HOUSEHOLD", "该户没有成员 / household has no member"
    E_EXIT_YEAR = "E_EXIT_YEAR", "脱贫年度与脱贫状态不符 / exit year disagrees with status"
    # application
    E_FILE_FORMAT = "E_FILE_FORMAT", "文件无法读取 / file cannot be read"
    E_FILE_TOO_LARGE = "E_FILE_TOO_LARGE", "文件超过大小上限 / file over the size limit"
    E_NOT_FOUND = "E_NOT_FOUND", "未找到 / not found"
    E_PERMISSION = "E_PERMISSION", "无权限 / permission denied"
    E_REASON_REQUIRED = "E_REASON_REQUIRED", "必须填写理由 / a reason is required"
    E_INVALID = "E_INVALID", "输入无效 / invalid input"
    E_CONFLICT = "E_CONFLICT", "数据已被他人修改 / changed by someone else"
    # policy packs and assessments (domain.md sections 5-6)
    E_POLICY_PACK = "E_POLICY_PACK", "政策包无效 / invalid policy pack"
    E_POLICY_YEAR = "E_POLICY_YEAR", "政策包没有该年度的标准 / the policy pack has no figure for that year"
    E_NO_PRESENT_MEMBER = "E_NO_PRESENT_MEMBER", "该户没有在户成员，无法评估 / no member present; cannot assess"
    # procedures and public notices (domain.md section 7)
    E_STATUS_BY_PROCEDURE = "E_STATUS_BY_PROCEDURE", "户类型和脱贫状态只能通过识别、退出、调整或监测程序变更 / type and status change only through a procedure"
    E_TRANSITION = "E_TRANSITION", "当前环节不能办理此操作 / action not allowed at this step"
    E_MAKER_CHECKER = "E_MAKER_CHECKER", "办理上一环节的人不能办理下一环节 / whoever took the previous step may not take the next"
    E_CASE_OPEN = "E_CASE_OPEN", "该户已有未办结的同类程序 / the household already has an open case of this procedure"
    E_CASE_PRECONDITION = "E_CASE_PRECONDITION", "该户当前状态不能发起此程序 / the household's status does not allow this procedure"
    E_CASE_SUSPENDED = "E_CASE_SUSPENDED", "有未处理的异议，案件暂停 / suspended by an unresolved objection"
    E_VOTES = "E_VOTES", "评议票数无效或未过半数 / vote counts missing, invalid or not a majority"
    E_NOTICE_REQUIRED = "E_NOTICE_REQUIRED", "此环节须先公示 / this step needs a public notice first"
    E_NOTICE_RUNNING = "E_NOTICE_RUNNING", "公示期未满 / the notice has not run its full length"
    E_NOTICE_SCOPE = "E_NOTICE_SCOPE", "案件不属于该公示范围或不在公示环节 / case not at this notice's step or area"
    E_MONITORING_TOO_SHORT = "E_MONITORING_TOO_SHORT", "纳入监测未满规定月数，不能消除风险 / monitored for too few months to eliminate the risk"
    E_OBJECTION_UPHELD = "E_OBJECTION_UPHELD", "公示异议成立，本环节不能通过，只能驳回 / an objection to this step's notice was upheld: the case can only be rejected"
    E_ATTACHMENT = "E_ATTACHMENT", "附件类型或大小不符合要求 / attachment type or size not allowed"
    # spot check (domain.md 6.3)
    E_NOT_SAMPLED = "E_NOT_SAMPLED", "该户不在抽查样本中 / household not in the spot-check sample"


class ApplicationError(Exception):
    """A business error with a stable code, a Chinese/English message and extra data."""

    status = 400

    def __init__(self, code: str, message: str | None = None, **extra):
        self.code = str(code)
        self.message = message or ErrorCode(code).label
        self.extra = extra
        super().__init__(f"{self.code}: {self.message}")

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "extra": self.extra}


class NotFound(ApplicationError):
    status = 404

    def __init__(self, message: str = "未找到 / not found", **extra):
        super().__init__(ErrorCode.E_NOT_FOUND, message, **extra)


class PermissionDenied(ApplicationError):
    status = 403

    def __init__(self, message: str = "无权限 / permission denied", **extra):
        super().__init__(ErrorCode.E_PERMISSION, message, **extra)


class ValidationFailed(ApplicationError):
    """Carries a list of field errors: [{"field", "code", "message"}]."""

    def __init__(self, errors: list[dict], message: str = "输入有误 / invalid input"):
        super().__init__(ErrorCode.E_INVALID, message, errors=errors)
        self.errors = errors

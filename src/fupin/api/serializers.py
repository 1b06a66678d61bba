"""How API responses look, and the documented shape of request bodies.

Output only: requests are rows keyed by the exchange-format headers and go, untouched, to the
registry services, whose one validation (fupin.registry.validation) decides what is valid. The
request serializers below exist for the OpenAPI schema; nothing calls is_valid() on them.

ID numbers, phones and bank accounts are masked here by default (security.md 2). A member's
birth date is not sent: the masked ID hides exactly the birth-date digits, so sending both would
give the full number back. Clients get the age instead; the unmask endpoint gives the full ID.
"""

import datetime as dt
import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fupin.core import idcard
from fupin.core.logging import mask_text
from fupin.registry.selectors import age_on
from fupin.registry.validation import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS


class MaskedField(serializers.CharField):
    """A personal number shown masked (domain.md section 4)."""

    def __init__(self, mask, **kwargs):
        self.mask = mask
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return self.mask(value or "")


def _money(**kwargs):
    return serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, **kwargs)


# ---------------------------------------------------------------- errors


class RowErrorSerializer(serializers.Serializer):
    sheet = serializers.CharField(help_text="户 或 人 / the exchange-format sheet")
    row = serializers.IntegerField(allow_null=True, help_text="成员序号（从 1 起），户为 null / member index")
    column = serializers.CharField(help_text="列标题 / column header")
    code = serializers.CharField(help_text="错误代码，如 E_ID_CHECKSUM / error code")
    message = serializers.CharField()


class ErrorExtraSerializer(serializers.Serializer):
    errors = RowErrorSerializer(many=True, required=False, help_text="校验错误（E_INVALID）/ validation errors")
    detail = serializers.JSONField(required=False)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="稳定的错误代码 / stable error code: E_INVALID, E_NOT_FOUND, …")
    message = serializers.CharField(help_text="中文 / English")
    extra = ErrorExtraSerializer()


# ---------------------------------------------------------------- households


class HouseholdListSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True, help_text="户编号")
    kind = serializers.CharField(read_only=True, help_text="户类型")
    village = serializers.CharField(source="village_id", read_only=True, help_text="村级行政区划代码")
    village_name = serializers.CharField(source="village.name", read_only=True)
    group = serializers.CharField(read_only=True, help_text="村民小组")
    head_name = serializers.CharField(read_only=True, help_text="户主姓名")
    phone = MaskedField(idcard.mask_phone, help_text="联系电话（脱敏）/ masked phone")
    year_registered = serializers.IntegerField(read_only=True, allow_null=True, help_text="识别年度")
    attribute = serializers.CharField(read_only=True, help_text="贫困户属性")
    main_cause = serializers.CharField(read_only=True, help_text="主要致贫原因")
    status = serializers.CharField(read_only=True, help_text="脱贫状态")
    exit_year = serializers.IntegerField(read_only=True, allow_null=True, help_text="脱贫年度")
    version = serializers.IntegerField(read_only=True, help_text="版本号：修改时原样送回 / send back when changing")
    updated_at = serializers.DateTimeField(read_only=True)


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True, help_text="姓名")
    id_number = MaskedField(idcard.mask, help_text="证件号码（脱敏）/ masked ID number")
    relation = serializers.CharField(read_only=True, help_text="与户主关系")
    sex = serializers.CharField(read_only=True, help_text="性别")
    age = serializers.SerializerMethodField(help_text="今日周岁 / age in whole years today")
    ethnicity = serializers.CharField(read_only=True, help_text="民族")
    education = serializers.CharField(read_only=True, help_text="文化程度")
    school_status = serializers.CharField(read_only=True, help_text="在校生状况")
    home_schooling = serializers.BooleanField(read_only=True, help_text="送教上门或免学")
    health = serializers.CharField(read_only=True, help_text="健康状况")
    labour = serializers.CharField(read_only=True, help_text="劳动技能")
    migrant_work = serializers.CharField(read_only=True, help_text="务工状况")
    migrant_months = serializers.IntegerField(read_only=True, allow_null=True, help_text="务工时间（月）")
    soldier = serializers.BooleanField(read_only=True, help_text="是否现役军人")
    medical_insurance = serializers.BooleanField(read_only=True, help_text="基本医疗保险")
    pension_insurance = serializers.BooleanField(read_only=True, help_text="基本养老保险")
    state = serializers.CharField(read_only=True, help_text="成员状态")
    state_date = serializers.DateField(read_only=True, allow_null=True, help_text="状态变更日期")

    @extend_schema_field(OpenApiTypes.INT)
    def get_age(self, obj) -> int | None:
        return age_on(obj.birth_date, dt.date.today())


class IncomeSerializer(serializers.Serializer):
    """One income year (domain.md section 3): net = 工资性 + 生产经营性 + 财产性 + 转移性 − 生产经营性支出;
    per-capita net = net ÷ members 在户 on 31 December of the year (null when there is none)."""

    year = serializers.IntegerField(source="record.year", read_only=True, help_text="收入年度")
    wage = _money(source="record.wage", help_text="工资性收入")
    business = _money(source="record.business", help_text="生产经营性收入")
    property_income = _money(source="record.property_income", help_text="财产性收入")
    transfer = _money(source="record.transfer", help_text="转移性收入")
    business_cost = _money(source="record.business_cost", help_text="生产经营性支出")
    medical_spending = _money(source="record.medical_spending", help_text="合规自付医疗支出")
    rigid_spending = _money(source="record.rigid_spending", help_text="其他刚性支出")
    risks = serializers.ListField(source="record.risks", child=serializers.CharField(), read_only=True,
                                  help_text="风险类型")
    net = _money(help_text="家庭纯收入 / household net income")
    present_members = serializers.IntegerField(source="present", read_only=True,
                                               help_text="当年 12 月 31 日在户人数 / members 在户 on 31 December")
    per_capita_net = _money(source="per_capita", allow_null=True, help_text="人均纯收入 / per-capita net income")


class LivingConditionsSerializer(serializers.Serializer):
    food_ok = serializers.BooleanField(read_only=True, help_text="不愁吃")
    clothing_ok = serializers.BooleanField(read_only=True, help_text="不愁穿")
    housing_grade = serializers.CharField(read_only=True, help_text="住房安全等级 A/B/C/D")
    renovated = serializers.BooleanField(read_only=True, help_text="已完成危房改造")
    relocated = serializers.BooleanField(read_only=True, help_text="易地扶贫搬迁入住")
    safe_water = serializers.BooleanField(read_only=True, help_text="饮水安全")
    arable_land = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True, allow_null=True,
                                           help_text="耕地面积（亩）")
    forest_land = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True, allow_null=True,
                                           help_text="林地面积（亩）")


class CausesSerializer(serializers.Serializer):
    main = serializers.CharField(source="main_cause", read_only=True, help_text="主要致贫原因")
    others = serializers.ListField(source="other_causes", child=serializers.CharField(), read_only=True,
                                   help_text="其他致贫原因（最多两项）")


class HouseholdDetailSerializer(HouseholdListSerializer):
    """The household page's data. The view sets `member_list` and `income_list` on the instance."""

    bank_name = serializers.CharField(read_only=True, help_text="开户银行")
    bank_account = MaskedField(idcard.mask_account, help_text="银行账号（脱敏）/ masked account")
    causes = CausesSerializer(source="*", read_only=True)
    living_conditions = LivingConditionsSerializer(source="*", read_only=True)
    members = MemberSerializer(source="member_list", many=True, read_only=True)
    incomes = IncomeSerializer(source="income_list", many=True, read_only=True)


class UnmaskedMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    relation = serializers.CharField(read_only=True)
    id_number = serializers.CharField(read_only=True, help_text="完整证件号码 / full ID number")
    birth_date = serializers.DateField(read_only=True)


class UnmaskedHouseholdSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True, help_text="完整联系电话 / full phone")
    bank_account = serializers.CharField(read_only=True, help_text="完整银行账号 / full account")
    members = UnmaskedMemberSerializer(source="member_list", many=True, read_only=True)


# ---------------------------------------------------------------- request bodies (schema only)


def _row_serializer(name: str, columns, doc: str, **extra_fields):
    fields = {
        header: serializers.CharField(required=required is True, allow_blank=True,
                                      help_text="必填 / required" if required is True else
                                      ("建档立卡户必填 / required for 建档立卡户" if required else ""))
        for header, required in columns
    }
    fields.update(extra_fields)
    return type(name, (serializers.Serializer,), {"__doc__": doc, **fields})


HouseholdRowSerializer = _row_serializer(
    "HouseholdRow", HOUSEHOLD_COLUMNS,
    "户表一行，以交换格式列标题为键（exchange-format.md）；值可为文本或数字 / a 户 row keyed by headers")
MemberRowSerializer = _row_serializer(
    "MemberRow", MEMBER_COLUMNS,
    "人表一行，以交换格式列标题为键；户编号可省略 / a 人 row keyed by headers; 户编号 may be omitted")
HouseholdUpdateSerializer = _row_serializer(
    "HouseholdUpdate", HOUSEHOLD_COLUMNS,
    "完整的户表一行加 version（PATCH 只送要改的列）/ a full 户 row plus version (PATCH: changed columns only)",
    version=serializers.IntegerField(help_text="读取时的版本号 / the version you read"))


class HouseholdCreateSerializer(serializers.Serializer):
    household = HouseholdRowSerializer()
    members = MemberRowSerializer(many=True)


class UnmaskRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="查看理由（必填，记入审计）/ reason, required and audited")


# ---------------------------------------------------------------- areas, jobs, audit


class AreaSerializer(serializers.Serializer):
    """An area inside the user's scope in full; an ancestor only by code, name and level."""

    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    level = serializers.IntegerField(read_only=True, help_text="1 省 2 市 3 县 4 乡镇 5 村")
    in_scope = serializers.BooleanField(read_only=True, help_text="在本人管辖范围内 / inside the user's areas")
    parent = serializers.CharField(source="parent_id", read_only=True, allow_null=True, required=False)
    full_name = serializers.CharField(read_only=True, required=False)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "in_scope", False):
            data = {k: data[k] for k in ("code", "name", "level", "in_scope")}
        return data


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="queued / running / succeeded / failed")
    percent = serializers.IntegerField(read_only=True)
    stage = serializers.CharField(read_only=True)
    done = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    result = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_result(self, obj):
        return _masked_json(obj.result)

    def get_error(self, obj) -> str:
        return mask_text(obj.error or "")


def _masked_json(value):
    """Mask ID numbers, phones and accounts anywhere inside a JSON value (security.md 2)."""
    if value is None:
        return None
    return json.loads(mask_text(json.dumps(value, ensure_ascii=False)))


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    actor = serializers.CharField(source="actor_name", read_only=True)
    ip = serializers.CharField(read_only=True)
    action = serializers.CharField(read_only=True)
    object_type = serializers.CharField(read_only=True)
    object_id = serializers.CharField(read_only=True)
    area_code = serializers.CharField(read_only=True)
    before = serializers.SerializerMethodField()
    after = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    job_id = serializers.IntegerField(read_only=True, allow_null=True)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_before(self, obj):
        return _masked_json(obj.before)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_after(self, obj):
        return _masked_json(obj.after)

    def get_reason(self, obj) -> str:
        return mask_text(obj.reason or "")

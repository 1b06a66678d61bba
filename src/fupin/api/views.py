"""The REST API (docs/api.md). Thin views: parse, access through the scoped selectors, call a
service, render (architecture.md, layer 3).

Every object is reached through fupin.registry.selectors / fupin.api.selectors, which answer 404
outside the user's areas (domain.md section 1). Writes go to fupin.registry.services with the
exchange-format row as it came: the one validation there decides what is valid.
"""

import datetime as dt

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import get_current_timezone, is_naive, make_aware
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from fupin.api import rows, selectors
from fupin.api import serializers as s
from fupin.api.authentication import SessionAuthentication
from fupin.api.pagination import AuditCursorPagination, KeysetPagination
from fupin.core.errors import ApplicationError, ErrorCode, NotFound
from fupin.core.selectors import audit_list
from fupin.registry import choices as c
from fupin.registry import services
from fupin.registry.selectors import access_household_by_number, household_list, income_rows

E = s.ErrorSerializer
ERRORS = {
    401: OpenApiResponse(E, description="未登录 / not logged in (E_AUTH)"),
    404: OpenApiResponse(E, description="不存在或不在管辖范围内 / not found or outside your areas (E_NOT_FOUND)"),
}
WRITE_ERRORS = {
    **ERRORS,
    400: OpenApiResponse(E, description="校验失败 / invalid (E_INVALID with extra.errors, or another E_ code)"),
    403: OpenApiResponse(E, description="无写权限 / role may not write (E_PERMISSION)"),
}


def _invalid(message: str, **extra) -> ApplicationError:
    return ApplicationError(ErrorCode.E_INVALID, message, **extra)


def _object(data, what: str) -> dict:
    if not isinstance(data, dict):
        raise _invalid(f"{what} 应为 JSON 对象 / {what} must be a JSON object")
    return data


def _version(data: dict) -> int:
    v = data.get("version")
    if isinstance(v, bool) or not isinstance(v, int | str) or not str(v).strip().isdigit():
        raise _invalid("缺少或无效的 version（读取时的版本号）/ version (as read) is required", field="version")
    return int(str(v).strip())


def _int_param(request, name: str) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise _invalid(f"参数 {name} 应为整数 / {name} must be an integer", parameter=name)
    return int(raw)


def _datetime_param(request, name: str, *, end_of_day: bool = False) -> dt.datetime | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            if day is None:
                raise ValueError(raw)
            value = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
    except ValueError:
        raise _invalid(f"参数 {name} 应为日期或日期时间（ISO 8601）/ {name} must be an ISO 8601 date or datetime",
                       parameter=name) from None
    return make_aware(value, get_current_timezone()) if is_naive(value) else value


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class FupinAPIView(APIView):
    authentication_classes = [SessionAuthentication]

    def initial(self, request, *args, **kwargs):
        """After authentication: refuse NUL characters anywhere in the input. PostgreSQL cannot
        store or even compare them (a 500 otherwise), and no real cell holds one; DRF's own
        CharField refuses them the same way (security.md 12)."""
        super().initial(request, *args, **kwargs)
        if _has_nul(dict(request.query_params)) or (request.method not in ("GET", "HEAD", "OPTIONS")
                                                    and _has_nul(request.data)):
            raise _invalid("输入含有空字符（NUL）/ input contains a NUL character")


def _detail(household) -> dict:
    """The detail rendering of a household fetched in scope."""
    members = list(household.members.order_by("id"))
    household.member_list = members
    household.income_list = income_rows(household, members)
    return s.HouseholdDetailSerializer(household).data


# ---------------------------------------------------------------- households


HOUSEHOLD_FILTERS = [
    OpenApiParameter("area", str, description="区划代码：只看该区划内的户 / area code (any level)"),
    OpenApiParameter("attribute", str, enum=c.Attribute.values, description="贫困户属性"),
    OpenApiParameter("cause", str, enum=c.CAUSES, description="主要致贫原因"),
    OpenApiParameter("status", str, enum=c.Status.values, description="脱贫状态"),
    OpenApiParameter("kind", str, enum=c.HouseholdKind.values, description="户类型"),
    OpenApiParameter("year", int, description="识别年度"),
    OpenApiParameter("q", str, description="证件号码（精确）、户编号、姓名前缀或拼音首字母 / ID, number, name, initials"),
]


class HouseholdListView(FupinAPIView):
    pagination_class = KeysetPagination

    @extend_schema(operation_id="households_list", summary="户列表 / list households",
                   parameters=HOUSEHOLD_FILTERS, responses={200: s.HouseholdListSerializer(many=True), **ERRORS})
    def get(self, request):
        q = request.query_params
        filters = {k: q.get(k, "").strip() for k in ("area", "attribute", "cause", "status", "kind", "q")}
        filters["year"] = _int_param(request, "year")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(household_list(user=request.user, filters=filters)
                                           .select_related("village"), request, view=self)
        return paginator.get_paginated_response(s.HouseholdListSerializer(page, many=True).data)

    @extend_schema(operation_id="households_create", summary="建档：新增一户及其成员 / create a household",
                   request=s.HouseholdCreateSerializer,
                   responses={201: s.HouseholdDetailSerializer, **WRITE_ERRORS})
    def post(self, request):
        body = _object(request.data, "请求体 / body")
        household = _object(body.get("household"), "household")
        members = body.get("members")
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise _invalid("members 应为对象数组 / members must be a list of objects", field="members")
        h = services.household_create(actor=request.user, household=household, members=members)
        return Response(_detail(h), status=status.HTTP_201_CREATED)


class HouseholdDetailView(FupinAPIView):
    @extend_schema(operation_id="households_retrieve", summary="户详情 / one household",
                   responses={200: s.HouseholdDetailSerializer, **ERRORS})
    def get(self, request, number: str):
        return Response(_detail(access_household_by_number(request.user, number)))

    def _update(self, request, number: str, *, partial: bool):
        h = access_household_by_number(request.user, number, write=True)
        body = _object(request.data, "请求体 / body")
        expected = _version(body)
        row = {k: v for k, v in body.items() if k != "version"}
        if partial:
            row = {**rows.household_row(h, rows.income_year_for(h, row.get("收入年度"))), **row}
        row.setdefault("户编号", h.number)
        services.household_update(actor=request.user, household=h, data=row, expected_version=expected)
        return Response(_detail(access_household_by_number(request.user, number)))

    @extend_schema(operation_id="households_update", summary="修改一户（完整的户表一行 + version）/ replace",
                   request=s.HouseholdUpdateSerializer,
                   responses={200: s.HouseholdDetailSerializer, 409: OpenApiResponse(E, description="E_CONFLICT"),
                              **WRITE_ERRORS})
    def put(self, request, number: str):
        return self._update(request, number, partial=False)

    @extend_schema(operation_id="households_partial_update",
                   summary="修改一户的部分列（+ version）/ change some columns",
                   request=s.HouseholdUpdateSerializer,
                   responses={200: s.HouseholdDetailSerializer, 409: OpenApiResponse(E, description="E_CONFLICT"),
                              **WRITE_ERRORS})
    def patch(self, request, number: str):
        return self._update(request, number, partial=True)


class MemberListView(FupinAPIView):
    @extend_schema(operation_id="households_members_create", summary="新增成员 / add a member",
                   request=s.MemberRowSerializer, responses={201: s.MemberSerializer, **WRITE_ERRORS})
    def post(self, request, number: str):
        h = access_household_by_number(request.user, number, write=True)
        row = _object(request.data, "请求体 / body")
        m = services.member_save(actor=request.user, household=h, data=row)
        return Response(s.MemberSerializer(m).data, status=status.HTTP_201_CREATED)


class MemberDetailView(FupinAPIView):
    def _save(self, request, number: str, pk: int, *, partial: bool):
        h = access_household_by_number(request.user, number, write=True)
        member = h.members.filter(pk=pk).first()
        if member is None:
            raise NotFound()
        row = _object(request.data, "请求体 / body")
        if partial:
            row = {**rows.member_row(member), **row}
        m = services.member_save(actor=request.user, household=h, data=row, member=member)
        return Response(s.MemberSerializer(m).data)

    @extend_schema(operation_id="households_members_update", summary="修改成员（完整的人表一行）/ replace a member",
                   request=s.MemberRowSerializer, responses={200: s.MemberSerializer, **WRITE_ERRORS})
    def put(self, request, number: str, pk: int):
        return self._save(request, number, pk, partial=False)

    @extend_schema(operation_id="households_members_partial_update",
                   summary="修改成员的部分列 / change some columns of a member",
                   request=s.MemberRowSerializer, responses={200: s.MemberSerializer, **WRITE_ERRORS})
    def patch(self, request, number: str, pk: int):
        return self._save(request, number, pk, partial=True)


class UnmaskView(FupinAPIView):
    @extend_schema(operation_id="households_unmask",
                   summary="查看完整证件号码、电话、账号（须有权限和理由，记入审计）/ unmask, audited",
                   request=s.UnmaskRequestSerializer,
                   responses={200: s.UnmaskedHouseholdSerializer,
                              400: OpenApiResponse(E, description="E_REASON_REQUIRED"),
                              403: OpenApiResponse(E, description="E_PERMISSION"), **ERRORS})
    def post(self, request, number: str):
        h = access_household_by_number(request.user, number)
        body = _object(request.data, "请求体 / body")
        reason = body.get("reason")
        services.unmask(actor=request.user, household=h, reason=reason if isinstance(reason, str) else "",
                        what="证件号码、联系电话、银行账号")
        h.member_list = list(h.members.order_by("id"))
        response = Response(s.UnmaskedHouseholdSerializer(h).data)
        response["Cache-Control"] = "no-store"  # full numbers must not sit in a browser or proxy cache
        return response


# ---------------------------------------------------------------- areas, jobs, audit


class AreaListView(FupinAPIView):
    @extend_schema(operation_id="areas_list", summary="下级区划 / child areas",
                   parameters=[OpenApiParameter("parent", str, description="上级区划代码；省略则为顶级 / parent code")],
                   responses={200: s.AreaSerializer(many=True), **ERRORS})
    def get(self, request):
        parent = request.query_params.get("parent", "").strip() or None
        return Response(s.AreaSerializer(selectors.area_children(request.user, parent), many=True).data)


class AreaDetailView(FupinAPIView):
    @extend_schema(operation_id="areas_retrieve", summary="一个区划 / one area",
                   responses={200: s.AreaSerializer, **ERRORS})
    def get(self, request, code: str):
        return Response(s.AreaSerializer(selectors.access_area(request.user, code)).data)


class JobDetailView(FupinAPIView):
    @extend_schema(operation_id="jobs_retrieve", summary="后台任务进度 / a background job of yours",
                   responses={200: s.JobSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(s.JobSerializer(selectors.access_job(request.user, pk)).data)


class AuditListView(FupinAPIView):
    pagination_class = AuditCursorPagination

    @extend_schema(operation_id="audit_list", summary="审计记录（审计管理员、系统管理员）/ audit trail",
                   parameters=[
                       OpenApiParameter("action", str, description="如 household.update / e.g. pii.unmask"),
                       OpenApiParameter("object_type", str, description="household, member, income, user …"),
                       OpenApiParameter("object_id", str, description="如户编号 / e.g. a household number"),
                       OpenApiParameter("actor", str, description="用户名 / username"),
                       OpenApiParameter("since", OpenApiTypes.DATETIME, description="起（含）/ from, inclusive"),
                       OpenApiParameter("until", OpenApiTypes.DATETIME, description="止（含）/ to, inclusive"),
                   ],
                   responses={200: s.AuditEntrySerializer(many=True), **ERRORS})
    def get(self, request):
        q = request.query_params
        filters = {k: q.get(k, "").strip() for k in ("action", "object_type", "object_id", "actor")}
        filters["since"] = _datetime_param(request, "since")
        filters["until"] = _datetime_param(request, "until", end_of_day=True)
        qs = audit_list(request.user, filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.AuditEntrySerializer(page, many=True).data)

"""Paging for lists that can hold hundreds of thousands of rows (performance.md).

Households are paged by a keyset on (village_id, number) — the model's ordering and a total
order, since 户编号 is unique: page 1,000 costs what page 1 costs, where OFFSET would scan every
earlier row and a COUNT(*) over a province would dominate each request. The cursor is opaque
to clients (base64 of the last key seen); they follow `next` and `previous`.
"""

import base64
import binascii
import json

from django.db.models import Q
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from fupin.core.errors import ApplicationError, ErrorCode


def _invalid_cursor():
    return ApplicationError(ErrorCode.E_INVALID, "分页游标无效 / invalid cursor", parameter="cursor")


class KeysetPagination(BasePagination):
    """Forward and backward keyset paging on `key_fields` (two fields, the second unique within
    the first). Responses: {"next": url|null, "previous": url|null, "results": [...]}."""

    key_fields = ("village_id", "number")
    page_size = 50
    max_page_size = 500
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ApplicationError(ErrorCode.E_INVALID, "page_size 应为整数 / page_size must be an integer",
                                   parameter="page_size") from None
        return max(1, min(size, self.max_page_size))

    def decode_cursor(self, request) -> tuple[bool, str, str] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==="))
            direction, first, second = data
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            raise _invalid_cursor() from None
        if direction not in ("f", "r") or not isinstance(first, str) or not isinstance(second, str):
            raise _invalid_cursor()
        return direction == "r", first, second

    def encode_cursor(self, reverse: bool, obj) -> str:
        a, b = (getattr(obj, f) for f in self.key_fields)
        raw = json.dumps(["r" if reverse else "f", a, b], ensure_ascii=False).encode()
        token = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def paginate_queryset(self, queryset, request, view=None):
        self.base_url = request.build_absolute_uri()
        size = self.get_page_size(request)
        cursor = self.decode_cursor(request)
        f1, f2 = self.key_fields
        reverse = bool(cursor and cursor[0])
        if cursor:
            _, a, b = cursor
            if reverse:
                # The redundant f1 <= a keeps the condition a plain index range on f1.
                queryset = queryset.filter(Q(**{f"{f1}__lte": a}) & (Q(**{f"{f1}__lt": a}) | Q(**{f"{f2}__lt": b})))
            else:
                queryset = queryset.filter(Q(**{f"{f1}__gte": a}) & (Q(**{f"{f1}__gt": a}) | Q(**{f"{f2}__gt": b})))
        order = (f"-{f1}", f"-{f2}") if reverse else (f1, f2)
        rows = list(queryset.order_by(*order)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            # We came back from a later page, so there is one; earlier rows exist if we over-fetched.
            self.has_next, self.has_previous = bool(rows), more
        else:
            self.has_next, self.has_previous = more, cursor is not None and bool(rows)
        self.rows = rows
        return rows

    def get_next_link(self) -> str | None:
        if not self.has_next or not self.rows:
            return None
        return self.encode_cursor(False, self.rows[-1])

    def get_previous_link(self) -> str | None:
        if not self.has_previous or not self.rows:
            return None
        return self.encode_cursor(True, self.rows[0])

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "分页游标（取自 next/previous）/ page cursor from next or previous",
             "schema": {"type": "string"}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"每页条数，最多 {self.max_page_size} / rows per page (max {self.max_page_size})",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]


class AuditCursorPagination(CursorPagination):
    """Newest first by id (unique, indexed, insertion order): the audit table only grows."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # DRF raises NotFound for a bad cursor; a bad parameter is 400 here.
            raise _invalid_cursor() from exc


"""One error shape for the API: {code, message, extra} (architecture.md, layer 5).

Application errors keep their stable code; the HTTP status comes from the error class, except
for codes whose meaning is a status of their own (a stale version is a conflict, 409, whatever
class raised it). Out-of-scope objects are E_NOT_FOUND (404), never 403 (domain.md section 1).
"""

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from fupin.core.errors import ApplicationError, ErrorCode

# Codes whose HTTP status does not depend on which exception class carried them.
STATUS_BY_CODE = {
    ErrorCode.E_CONFLICT: status.HTTP_409_CONFLICT,
    ErrorCode.E_NOT_FOUND: status.HTTP_404_NOT_FOUND,
    ErrorCode.E_PERMISSION: status.HTTP_403_FORBIDDEN,
}

E_AUTH = "E_AUTH"


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=STATUS_BY_CODE.get(exc.code, exc.status))
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code, message = E_AUTH, "请先登录 / authentication required"
    elif isinstance(exc, exceptions.NotFound | Http404):
        code, message = ErrorCode.E_NOT_FOUND, "未找到 / not found"
    elif isinstance(exc, exceptions.PermissionDenied):
        code, message = ErrorCode.E_PERMISSION, "无权限 / permission denied"
    elif isinstance(exc, exceptions.MethodNotAllowed):
        code, message = "E_METHOD", "不支持该请求方法 / method not allowed"
    elif isinstance(exc, exceptions.Throttled):
        code, message = "E_THROTTLED", "请求过于频繁 / too many requests"
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        code, message = ErrorCode.E_INVALID, "请使用 JSON / send JSON (application/json)"
    else:
        code, message = ErrorCode.E_INVALID, "请求无效 / invalid request"
    response.data = {"code": str(code), "message": message, "extra": {"detail": response.data}}
    return response

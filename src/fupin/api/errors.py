"""One error shape for the API: {code, message, extra} (architecture.md, layer 5)."""

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from fupin.core.errors import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status)
    response = drf_handler(exc, context)
    if response is None:
        return None
    code = {
        status.HTTP_401_UNAUTHORIZED: "E_AUTH",
        status.HTTP_403_FORBIDDEN: "E_PERMISSION",
        status.HTTP_404_NOT_FOUND: "E_NOT_FOUND",
        status.HTTP_405_METHOD_NOT_ALLOWED: "E_METHOD",
        status.HTTP_429_TOO_MANY_REQUESTS: "E_THROTTLED",
    }.get(response.status_code, "E_INVALID")
    if isinstance(exc, exceptions.NotFound):
        message = "未找到 / not found"
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        message = "请先登录 / authentication required"
    elif isinstance(exc, exceptions.PermissionDenied):
        message = "无权限 / permission denied"
    else:
        message = "请求无效 / invalid request"
    response.data = {"code": code, "message": message, "extra": {"detail": response.data}}
    return response

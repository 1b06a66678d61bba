import time

from django.conf import settings
from django.contrib.auth import logout

from fupin.core.audit import audit_context


def client_ip(request) -> str:
    # Behind the intranet reverse proxy the operator sets FUPIN_TRUST_X_FORWARDED_FOR=1.
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        fwd = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if fwd:
            return fwd.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


class AuditContextMiddleware:
    """Sets the audit context (client IP) and enforces the absolute session lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get("fupin_login_at")
            now = time.time()
            if started is None:
                request.session["fupin_login_at"] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        with audit_context(ip=client_ip(request), source="web"):
            return self.get_response(request)


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user picked English with the language switch (its cookie). The
    browser's Accept-Language is ignored: an office PC with an English Windows still gets 中文."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        if lang not in dict(settings.LANGUAGES):
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        return response

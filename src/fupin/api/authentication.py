"""Session authentication that answers 401, not 403, to a request without a session.

DRF's SessionAuthentication has no WWW-Authenticate challenge, so DRF turns "not logged in"
into 403; an API client then cannot tell "log in first" from "not allowed". The challenge
below makes it 401 with code E_AUTH. CSRF is still enforced for unsafe methods.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import SessionAuthentication as _SessionAuthentication


class SessionAuthentication(_SessionAuthentication):
    def authenticate_header(self, request) -> str:
        return 'Session realm="fupin"'


class SessionScheme(OpenApiAuthenticationExtension):
    """Tells the OpenAPI schema that the API uses the session cookie of the web login."""

    target_class = "fupin.api.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}

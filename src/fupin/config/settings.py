"""One settings file, everything from the environment (architecture.md, layer 7).

Malformed values fail loudly at start. There is no separate production file: a
deployment sets FUPIN_DEBUG=0, FUPIN_SECRET_KEY, DATABASE_URL, REDIS_URL.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("FUPIN_DEBUG", default=True)
SECRET_KEY = env.str("FUPIN_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("FUPIN_SECRET_KEY must be set when FUPIN_DEBUG=0 / 生产环境必须设置 FUPIN_SECRET_KEY")
    SECRET_KEY = "fupin-insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("FUPIN_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("FUPIN_CSRF_TRUSTED_ORIGINS", default=[])

# SQLite file in the working directory unless DATABASE_URL says otherwise (cli.md).
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///" + str(Path.cwd() / "fupin.sqlite3"))}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 30)
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "fupin.core",
    "fupin.areas",
    "fupin.accounts",
    "fupin.registry",
    "fupin.jobs",
    "fupin.policy",
    "fupin.procedures",
    "fupin.crosscheck",
    "fupin.targets",
    "fupin.spotchecks",
    "fupin.web",
    "fupin.api",
    "fupin.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fupin.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fupin.core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "fupin.config.urls"
WSGI_APPLICATION = "fupin.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["fupin.accounts.backends.LockoutBackend"]
TRUST_X_FORWARDED_FOR = env.bool("FUPIN_TRUST_X_FORWARDED_FOR", default=False)
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "fupin.accounts.passwords.CharacterClassValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.str("FUPIN_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("FUPIN_STATIC_ROOT", default=str(Path.cwd() / "staticfiles"))
MEDIA_ROOT = env.path("FUPIN_MEDIA_ROOT", default=str(Path.cwd() / "media"))
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions: idle timeout 30 min, absolute 12 h (security.md 9).
SESSION_COOKIE_AGE = env.int("FUPIN_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = env.int("FUPIN_SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("FUPIN_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("FUPIN_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Audit retention: at least 184 days (security.md 5). A smaller value refuses to start.
AUDIT_RETENTION_DAYS = env.int("FUPIN_AUDIT_RETENTION_DAYS", default=365)
if AUDIT_RETENTION_DAYS < 184:
    raise ImproperlyConfigured(
        f"FUPIN_AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS}: 审计日志至少保留 184 天 / audit retention must be >= 184 days"
    )

# Exports of more than this many rows with full IDs need a second approver (security.md 14).
FULL_EXPORT_APPROVAL_ROWS = env.int("FUPIN_FULL_EXPORT_APPROVAL_ROWS", default=5000)

# The policy pack assessments use unless a command names another (domain.md section 5): a built-in
# name (hunan, national-6pct) or a pack an operator loaded with `fupin policy load`.
FUPIN_POLICY_PACK = env.str("FUPIN_POLICY_PACK", default="hunan")
# Bulk assessments on PostgreSQL of at least FUPIN_ASSESS_PARALLEL_MIN households are split over
# this many processes (default: one per CPU).
FUPIN_ASSESS_WORKERS = env.int("FUPIN_ASSESS_WORKERS", default=os.cpu_count() or 1)
FUPIN_ASSESS_PARALLEL_MIN = env.int("FUPIN_ASSESS_PARALLEL_MIN", default=100_000)
# Public notices (公示/公告, no login) stay readable this many days after they end, then only staff
# of the notice's area see them (domain.md 7, security.md 2).
FUPIN_NOTICE_PUBLIC_DAYS = env.int("FUPIN_NOTICE_PUBLIC_DAYS", default=30)

# Background jobs: Celery with Redis. FUPIN_JOBS_EAGER=1 (tests, demo) runs the same task code inline.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("FUPIN_JOBS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Imports larger than this many bytes go to the background from the web upload page.
IMPORT_BACKGROUND_BYTES = env.int("FUPIN_IMPORT_BACKGROUND_BYTES", default=2_000_000)
# Largest cross-check list (fupin.crosscheck) accepted from the web upload page; larger files are refused unread.
LIST_UPLOAD_MAX_BYTES = env.int("FUPIN_LIST_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "fupin.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fupin API",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "fupin.core.logging.MaskPIIFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_pii"]}},
    "root": {"handlers": ["console"], "level": env.str("FUPIN_LOG_LEVEL", default="WARNING")},
}

"""Settings for every environment, read from environment variables.

With nothing set the service runs on SQLite under ``var/`` with Celery tasks run eagerly: the
embedded default for trying it on any machine. ``DATABASE_URL`` selects PostgreSQL, ``REDIS_URL``
a real broker, result store and cache. Without ``DJANGO_DEBUG`` it fails closed: no secret key, no
start.
"""

from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import csp.constants as csp
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

# ---------------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Only a development instance may run on a well-known key; anything else must be given one.
_DEV_SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string, or set "
            "DJANGO_DEBUG=1 to run a development instance on a built-in key."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with the registry's admin site (two-factor login): config/apps.py.
    "config.apps.RegistryAdminConfig",
    # The composition root's commands (those that span apps): config/apps.py.
    "config.apps.RegistryConfig",
    # The plumbing every app stands on (database connection setup): core/apps.py.
    "core",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_countries",
    "rest_framework_api_key",
    # Security: CSP, login lockout, two-factor login, Swagger UI served from our static files.
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular_sidecar",
    "accounts",
    "audit",
    "idempotency",
    "cases",
    "sources",
    "coalition",
    "imports",
    "reports",
]

# Covering indexes (``include=``) serve the counts on PostgreSQL; SQLite builds them without
# their extra columns, which changes nothing there but speed, so its warning is not shown.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.security.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.security.NulCharacterMiddleware",  # before anything reads the request's text
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.languages.UserLanguageMiddleware",  # a signed-in user's own language
    "audit.middleware.AuditContextMiddleware",  # audit: channel, request id, client address
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The admin and the API write to one file from several threads. A transaction that reads
    # and then writes cannot upgrade its lock while another writer holds it, and SQLite fails
    # it at once ("database is locked") instead of waiting: every transaction takes the write
    # lock when it begins (IMMEDIATE), so concurrent writers queue for up to `timeout` seconds.
    # WAL lets readers go on while one writes (synchronous stays FULL: a commit survives a
    # power cut).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL",
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server and statements prepared after a few runs on a connection:
    # the registry's list queries cost more to plan than to run, and a prepared statement is
    # planned once per connection. Off behind a pooler in transaction mode (PgBouncer before
    # 1.21), where a prepared statement may not outlive its transaction.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True,
            prepare_threshold=env.int("DATABASE_PREPARE_THRESHOLD", default=2),
        )

# ---------------------------------------------------------------------------------------------
# Redis: cache, Celery broker and result store
# ---------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="registry"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    # No broker: run tasks in-process so the embedded default behaves like production.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Every task is idempotent (it loads by primary key and calls a service that may run twice), so
# a task is acknowledged only once it has run: a worker lost mid-task leaves it to another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest a task may run. The daily re-hash of every source file is the longest: SHA-256
# runs at about 700 MB/s on one core, so reading is what bounds it; at 100 MB/s (a bucket, a
# slow disk) 15 minutes re-hash about 90 GB. Raise it when the files outgrow that.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - min(60, CELERY_TASK_TIME_LIMIT // 10)
# A task taken by a worker that never acknowledged it (the worker was killed, its machine lost)
# goes back to the queue after this many seconds, for another worker (Redis's default is an
# hour). It must outlast any run of a task, or a task still running would be handed out again:
# the time limit, and the longest retry delay (10 minutes, Celery's retry_backoff_max), since
# a task waiting for its retry is held unacknowledged too.
_CELERY_LONGEST_RETRY_DELAY = 10 * 60
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT",
    default=max(CELERY_TASK_TIME_LIMIT, _CELERY_LONGEST_RETRY_DELAY) + 5 * 60,
)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({CELERY_VISIBILITY_TIMEOUT} s) must be longer than "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT} s): a task still running would be "
        "handed to a second worker."
    )
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Catch-up tick: follow-ups a lost task left unscheduled are written within the hour.
    "follow-ups-catch-up": {"task": "cases.follow_ups_catch_up", "schedule": 3600.0},
    # Nightly: every child matched against the registry in batches; possible duplicates a
    # create or rename did not propose (or that appeared since) join the review queue.
    "duplicate-pairs-scan": {"task": "cases.duplicate_pairs_scan", "schedule": 24 * 3600.0},
}
# The registry's counts (``/api/v1/case-counts/``, the home pages' caseloads and phases) are
# read from kept counts at most this many seconds old: a tick counts every case again twice as
# often, and a read that finds them older counts first (cases.counts).
CASE_COUNTS_MAX_AGE = env.int("CASE_COUNTS_MAX_AGE", default=300)
if CASE_COUNTS_MAX_AGE < 10:
    raise ImproperlyConfigured(
        f"CASE_COUNTS_MAX_AGE ({CASE_COUNTS_MAX_AGE} s) must be 10 seconds or more: every case "
        "is counted again twice as often."
    )
CELERY_BEAT_SCHEDULE["case-counts-refresh"] = {
    "task": "cases.case_counts_refresh",
    "schedule": CASE_COUNTS_MAX_AGE / 2,
}

# ---------------------------------------------------------------------------------------------
# Idempotent POSTs: how long an answer is kept for a retry with the same Idempotency-Key
# ---------------------------------------------------------------------------------------------
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)
if IDEMPOTENCY_TTL_HOURS < 1:
    raise ImproperlyConfigured("IDEMPOTENCY_TTL_HOURS must be a whole number of hours, 1 or more.")
# Hourly, so an answer (which may hold a child's data) outlives its expiry by an hour at most.
CELERY_BEAT_SCHEDULE["idempotency-purge-expired"] = {
    "task": "idempotency.purge_expired",
    "schedule": 3600.0,
}

# ---------------------------------------------------------------------------------------------
# E-mail: integrity notices to administrators, later summary e-mails
# ---------------------------------------------------------------------------------------------
# EMAIL_URL as django-environ reads it (smtp+tls://user:password@host:587); without it, e-mails
# are written to the console (development) and nothing leaves the machine.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="registry@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who hears of integrity failures and server errors, as "Name <address>" items.
ADMINS = [getaddresses([entry])[0] for entry in env.list("DJANGO_ADMINS", default=[])]

# ---------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# ---------------------------------------------------------------------------------------------
# Internationalisation: times stored in UTC, shown in Kyiv time; Ukrainian first, English kept
# ---------------------------------------------------------------------------------------------
# The language of a visitor who has not chosen one and whose browser asks for neither; a signed-in
# user's own choice (accounts.User.language) wins over the browser's Accept-Language.
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="uk")
LANGUAGES = [("en", _("English")), ("uk", _("Ukrainian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Europe/Kyiv")
# One date format per language, the one its dates are typed in (``config/formats``).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Static files
# ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")

# Served by gunicorn through WhiteNoise: compressed, with hashed names cached for a year. A
# development instance serves them from the apps' folders as they change.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# ---------------------------------------------------------------------------------------------
# Source documents: kept outside any public URL, served only through the checked download
# ---------------------------------------------------------------------------------------------
SOURCES_S3_BUCKET = env.str("SOURCES_S3_BUCKET", default="")
if SOURCES_S3_BUCKET:
    # An S3-compatible store (AWS, MinIO, Ceph...) through django-storages; credentials come
    # from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables.
    STORAGES["sources"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": SOURCES_S3_BUCKET,
            "endpoint_url": env.str("SOURCES_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("SOURCES_S3_REGION", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    STORAGES["sources"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(env.path("SOURCES_DIR", default=VAR_DIR / "sources")),
            "base_url": None,
            "file_permissions_mode": 0o440,
            "directory_permissions_mode": 0o750,
        },
    }
# The largest file received, in bytes (a larger one is refused with 413).
SOURCES_MAX_UPLOAD_BYTES = env.int("SOURCES_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)

# ---------------------------------------------------------------------------------------------
# Evidence integrity: the chain of custody and the daily re-hashing of every stored file
# ---------------------------------------------------------------------------------------------
# Daily: every stored file is re-hashed; an altered or missing one is flagged and the
# administrators (ADMINS and active superusers) are told once per failure.
CELERY_BEAT_SCHEDULE["sources-verify-evidence"] = {
    "task": "sources.verify_evidence",
    "schedule": 24 * 3600.0,
}
# PostgreSQL refuses TRUNCATE of the custody table; only the test settings lift that, because
# the test runner empties every table between transactional tests.
SOURCES_ALLOW_CUSTODY_TRUNCATE = False

# ---------------------------------------------------------------------------------------------
# Reminders, status reports and summary e-mails (the reports app)
# ---------------------------------------------------------------------------------------------
# Each reminder rule's threshold, in days; a deployment overrides any of them with
# REMINDER_THRESHOLDS="follow_up_due=5,closure_waiting=2". STATUS_LIMITS gives the days a case
# may stay in one status before its assignee (or its organization's supervisors) is reminded;
# a status not named there has no limit.
_REMINDER_THRESHOLD_DEFAULTS = {
    "follow_up_due": 7,  # a follow-up due within this many days, or overdue
    "closure_waiting": 3,  # a closure request waiting for a decision longer than this
    "share_expiring": 7,  # a share expiring within this many days
    "pledge_overdue": 0,  # a pledge this many days past its due date
    "list_no_answer": 30,  # a list's entries with no answer this many days after handing over
    "source_integrity": 0,  # a source that failed its integrity check (no delay)
}
REMINDER_THRESHOLDS: dict[str, int] = {
    **_REMINDER_THRESHOLD_DEFAULTS,
    **{k: int(v) for k, v in env.dict("REMINDER_THRESHOLDS", default={}).items()},
}
_STATUS_LIMIT_DEFAULTS = {
    "reported": 7,
    "verifying": 14,
    "searching": 60,
    "located": 30,
    "return_in_progress": 30,
    "returned": 30,
    "rehabilitation": 180,
    "integration": 365,
}
REMINDER_STATUS_LIMITS: dict[str, int] = {
    **_STATUS_LIMIT_DEFAULTS,
    **{k: int(v) for k, v in env.dict("REMINDER_STATUS_LIMITS", default={}).items()},
}
_unknown_thresholds = set(REMINDER_THRESHOLDS) - set(_REMINDER_THRESHOLD_DEFAULTS)
_unknown_statuses = set(REMINDER_STATUS_LIMITS) - set(_STATUS_LIMIT_DEFAULTS)
if _unknown_thresholds or _unknown_statuses:
    raise ImproperlyConfigured(
        "REMINDER_THRESHOLDS names no rule "
        f"{sorted(_unknown_thresholds)}; REMINDER_STATUS_LIMITS names no open status "
        f"{sorted(_unknown_statuses)}."
    )
if any(days < 0 for days in [*REMINDER_THRESHOLDS.values(), *REMINDER_STATUS_LIMITS.values()]):
    raise ImproperlyConfigured("Reminder thresholds and status limits are days, 0 or more.")
# Counts below this, across organizations, are shown as "fewer than N" to readers outside the
# organization, so that a small cell cannot identify a child.
REPORTS_SMALL_CELL = env.int("REPORTS_SMALL_CELL", default=5)
# Links in e-mails point at the admin under this address (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# How often an e-mail whose sending failed is tried before it is marked failed and reported;
# the waits between attempts grow from 1 minute, doubling, to at most an hour.
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=6)
# The ticks: reminders kept in step with the items every 15 minutes; reports issued for the
# week (Monday to Sunday) and the month that ended, and the e-mails they feed, shortly after
# midnight in the project's time zone; the digest each morning; the outbox drained every
# minute (and at once after each tick queues e-mails).
CELERY_BEAT_SCHEDULE["reports-reminders-refresh"] = {
    "task": "reports.reminders_refresh",
    "schedule": 15 * 60.0,
}
CELERY_BEAT_SCHEDULE["reports-issue-due"] = {
    "task": "reports.issue_due",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["reports-summaries-queue"] = {
    "task": "reports.summaries_queue",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["reports-digests-queue"] = {
    "task": "reports.digests_queue",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["reports-outbox-send"] = {
    "task": "reports.outbox_send",
    "schedule": 60.0,
}
# The hour (local time) from which the day's digest is queued.
REPORTS_DIGEST_HOUR = env.int("REPORTS_DIGEST_HOUR", default=7)

# ---------------------------------------------------------------------------------------------
# REST API
# ---------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Header schemes first, so an anonymous request is told how to authenticate (401,
        # not 403).
        "accounts.authentication.APIKeyAuthentication",
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.StrictFilterBackend",
        "core.api.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = 200

SPECTACULAR_SETTINGS = {
    "TITLE": "Child Return Registry API",
    "DESCRIPTION": (
        "Cases of Ukrainian children deported or forcibly transferred by Russia, followed "
        "through repatriation, rehabilitation and integration."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Choice sets that share a field name ("kind", "status") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.workflow.Status",
        "AliasKindEnum": "cases.models.AliasKind",
        "FacilityKindEnum": "cases.models.FacilityKind",
        "ShareScopeEnum": "cases.models.ShareScope",
        "SexEnum": "cases.models.Sex",
        "DescribedSexEnum": "cases.serializers_matching.DESCRIBED_SEX",
        "RemovalReasonEnum": "cases.selectors.RemovalReason",
        "AuditActionEnum": "audit.models.Action",  # audit
        "AuditChannelEnum": "audit.models.Channel",  # audit
        "SourceKindEnum": "sources.models.SourceKind",  # sources
        "CustodyActionEnum": "sources.models.CustodyAction",  # sources
        "DatePrecisionEnum": "sources.models.AsOfPrecision",  # sources, coalition
        "FigureQualifierEnum": "sources.models.FigureQualifier",  # sources, coalition
        "MeetingKindEnum": "coalition.models.MeetingKind",  # coalition
        "PartyKindEnum": "coalition.models.PartyKind",  # coalition
        "MemberRoleEnum": "coalition.models.MemberRole",  # coalition
        "ProjectStatusEnum": "coalition.models.ProjectStatus",  # coalition
        "PledgeKindEnum": "coalition.models.PledgeKind",  # coalition
        "PledgeStatusEnum": "coalition.models.PledgeStatus",  # coalition
        "EntryOutcomeEnum": "coalition.models.EntryOutcome",  # coalition
        "ReportScopeEnum": "reports.models.ReportScope",  # reports
        "ReportPeriodEnum": "reports.models.ReportPeriod",  # reports
        "MatchRunStatusEnum": "imports.models.MatchRunStatus",  # imports
        "CaseImportStatusEnum": "imports.models.ImportStatus",  # imports
        "ImportFileFormatEnum": "imports.models.FileFormat",  # imports
        # A member joins on a day, in a month or in a year.
        "MemberDatePrecisionEnum": "coalition.services.members.MEMBER_PRECISION_CHOICES",
    },
}

# ---------------------------------------------------------------------------------------------
# Security: HTTPS, cookies, headers (``manage.py check --deploy`` passes on the defaults)
# ---------------------------------------------------------------------------------------------
# Without DEBUG everything assumes HTTPS; a development instance (DEBUG) works over plain HTTP.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Behind a proxy that terminates TLS, trust its X-Forwarded-Proto (and only then: a client
# could send the header itself). The proxy must set or strip it on every request.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False)
    else None
)
# Proxies in front that each append to X-Forwarded-For; counts which entry is the client for
# the login lockout (0: REMOTE_ADDR is the client).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# A working day: an unattended admin session does not outlive its shift.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 60 * 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Admin URLs carry searches (?q=); they are not sent to other sites.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): only this origin's files, no inline script, no plugins,
# no framing. The admin needs nothing more; Swagger UI is served from our own static files
# (drf-spectacular-sidecar) and its one inline <style> carries the nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.NONCE],
        # Swagger UI's and the admin's icons are partly data: URIs.
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}
SPECTACULAR_SETTINGS |= {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Document the 429 answer of the operations accounts.throttling limits, response headers,
    # and that query parameters are never empty.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.throttling.document_throttled_operations",
        "core.api.document_response_headers",
        "core.api.document_non_empty_query_parameters",
    ],
}

# ---------------------------------------------------------------------------------------------
# Security: admin login (lockout after failed passwords, two-factor login)
# ---------------------------------------------------------------------------------------------
# django-axes sees every password check; it refuses to run one without the request, so
# authenticate() must be given it (Django's login views and DRF do; in tests, force_login or
# client.login(request=HttpRequest(), ...)).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Per username and address: a guesser locks out only themselves, not the account everywhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.security.login_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip_address"
# Masked in axes' records and logs: "next" can hold an admin search for a child's name.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "next", "csrfmiddlewaretoken"]

# Superusers and supervisors give a code from an authenticator app at every admin login
# (accounts/two_factor.py); other staff may enrol too.
REQUIRE_2FA = env.bool("DJANGO_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "Child Return Registry"
# Secret keys of authenticator apps are never shown again in the admin once saved.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# ---------------------------------------------------------------------------------------------
# Security: API throttling (accounts/throttling.py)
# ---------------------------------------------------------------------------------------------
# List and export requests per API key (or user), e.g. "120/min", "5000/day"; counted in the
# default cache (Redis in production, shared by every worker).
API_THROTTLE_LIST = env.str("API_THROTTLE_LIST", default="120/min")

# ---------------------------------------------------------------------------------------------
# Audit trail
# ---------------------------------------------------------------------------------------------
# The client address recorded with each event is the one the login lockout counts: see
# TRUSTED_PROXIES above.
# PostgreSQL refuses TRUNCATE of the audit table; only the test settings lift that, because the
# test runner empties every table between transactional tests.
AUDIT_ALLOW_TRUNCATE = False

# ---------------------------------------------------------------------------------------------
# Logging: structured keys, never a child's personal data
# ---------------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Searches carry children's names in the query string: request records keep the path only
    # (core/security.py). The filter runs on the loggers that record requests, before any
    # handler (Django's error e-mail included), and on the console.
    "filters": {"no_query_strings": {"()": "core.security.QueryStringLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_query_strings"],
        },
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes announces itself at INFO whenever Django starts (every command, every
        # worker); its lockouts and failed logins come from its handlers, at WARNING.
        "axes.apps": {"level": "WARNING"},
        "django.request": {"filters": ["no_query_strings"]},
        "django.security": {"filters": ["no_query_strings"]},
        # runserver's request lines, printed as Django prints them, filtered.
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["no_query_strings"],
        },
    },
}

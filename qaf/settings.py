"""QAF settings: one module, read from the environment through django-environ.

Development (``make run``) and tests set ``QAF_ENV=development``/``test``; anything else is
production, which refuses to start without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
Every variable is listed in README.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# pytest sets PYTEST_VERSION, so a plain `pytest` run gets test settings without ceremony.
QAF_ENV = env.str("QAF_ENV", default="test" if "PYTEST_VERSION" in os.environ else "production")
if QAF_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"QAF_ENV must be production, development or test, not {QAF_ENV!r}")
PRODUCTION = QAF_ENV == "production"

DEBUG = env.bool("DEBUG", default=QAF_ENV == "development")

_DEV_SECRET = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEV_SECRET)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION:
    if len(SECRET_KEY) < 32 or SECRET_KEY == _DEV_SECRET:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 32+ characters")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names QAF is served on")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tables2",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "qaf",
    "providers",
    "reviews",
    "risk",
    "escalation",
    "qaf.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (with a nonce for the one inline script a page needs) and
    # Permissions-Policy on every answer: pages, partials, API, files and errors alike.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: no-store, private on every answer to a signed-in user (qaf/caching.py).
    "qaf.caching.NoStoreWhenSignedInMiddleware",
    # NUL bytes and lone surrogates in a query string or form post, and a model's validation
    # escaping a page view: a 400 with the reason (qaf/inputs.py).
    "qaf.inputs.BadInputMiddleware",
    # Sets request.user.is_verified() (staff two-factor sign-in).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Signs a session out after QAF_SESSION_IDLE_MINUTES without activity (qaf/sessions.py),
    # after MessageMiddleware and HtmxMiddleware: the sign-in page says why, and an htmx
    # request is told to load it.
    "qaf.sessions.IdleTimeoutMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # After OTPMiddleware and HtmxMiddleware: staff who owe a code see only the 2FA pages.
    "qaf.twofactor.StaffTwoFactorMiddleware",
    # Last, so that lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qaf.urls"
WSGI_APPLICATION = "qaf.wsgi.application"

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
                "qaf.context_processors.qaf",
                "csp.context_processors.nonce",
                "qaf.sessions.context",
            ],
        },
    },
]

# Database and broker. ``make run``/``make test`` start embedded servers and set these when
# they are unset (qaf/dev.py); production must set them.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/qaf")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default=None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

AUTH_USER_MODEL = "qaf.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out users before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
if QAF_ENV == "test":
    # Hashing cost is not under test; a fast hasher keeps the suite quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# NCSC's guidance: length over complexity (no rules on kinds of character, no expiry) and no
# common password, checked against a list shipped in the code (qaf/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "qaf.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "qaf.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "qaf.passwords.CommonPasswordValidator"},
    {"NAME": "qaf.passwords.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout (django-axes): by username and address, released after the cool-off period.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The typed name cut to axes' column, so an overlong one counts instead of overflowing it.
AXES_USERNAME_CALLABLE = "qaf.lockout.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = PRODUCTION

# Sessions and cookies. Sessions are rows in the database, so any web machine behind a load
# balancer serves any request (no sticky sessions). Nothing in QAF keeps state in Django's cache
# (the default, per-process local memory): lockouts, 2FA throttling and sessions are in the
# database. Anything that must be shared between machines goes there or in Redis, never here.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A login lasts SESSION_COOKIE_AGE at most, and ends sooner after
# QAF_SESSION_IDLE_MINUTES without a request from the user (qaf/sessions.py); pages warn
# QAF_SESSION_WARNING_SECONDS before that and offer "Stay signed in".
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
QAF_SESSION_IDLE_MINUTES = env.int("QAF_SESSION_IDLE_MINUTES", default=30)
if QAF_SESSION_IDLE_MINUTES < 3:
    raise ImproperlyConfigured("QAF_SESSION_IDLE_MINUTES must be 3 or more")
QAF_SESSION_WARNING_SECONDS = 120
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): nothing inline runs or styles a page unless it carries
# the request's nonce (templates use {{ CSP_NONCE }}); no eval, no other origin, no framing.
# htmx is configured for it in templates/base.html (no eval, no injected styles or scripts).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for the icons Swagger UI's stylesheet carries inline.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Powerful browser features a council's quality app never uses: refused for QAF and anything
# it could embed. (Names Chromium knows: an unknown one is a console error there.)
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
SILENCED_SYSTEM_CHECKS = [] if PRODUCTION else ["security.W004", "security.W008"]

# Locale: England, en-GB dates everywhere.
# One language: no LocaleMiddleware, so a browser asking for en-US still gets en-GB dates.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d %m %Y"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where uploaded files and issued documents live (QAF_STORAGE): "local", the file system under
# MEDIA_ROOT (one machine, or a shared volume), or "s3", an S3-compatible bucket that every web
# and worker machine shares (docs/deploy.md, "Scaling out"). Code reaches files only through
# Django's storage API (FieldFile.open/save, storage.delete), never by path.
QAF_STORAGE = env.str("QAF_STORAGE", default="local")
if QAF_STORAGE == "local":
    _DEFAULT_STORAGE: dict = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif QAF_STORAGE == "s3":
    _DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=""),
            # Another S3-compatible service (MinIO, Ceph, a cloud's object store); unset: AWS.
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # A folder in the bucket, so one bucket may hold more than QAF's files.
            "location": env.str("AWS_LOCATION", default=""),
            # Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment
            # (read by django-storages/boto3), or the machine's role when they are unset.
            # Private: no ACL and no public URLs; files go out only through QAF's views.
            "default_acl": None,
            "querystring_auth": True,
            # Never replace a stored file: a taken name gets a suffix, as on the file system.
            "file_overwrite": False,
            # A file read back (a scan, a download) is held in memory up to 8 MB, then on disk.
            "max_memory_size": 8 * 1024 * 1024,
        },
    }
    if not _DEFAULT_STORAGE["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("QAF_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
else:
    raise ImproperlyConfigured(f"QAF_STORAGE must be local or s3, not {QAF_STORAGE!r}")
STORAGES = {
    "default": _DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production WhiteNoise finds files through the finders on each request (no collectstatic).
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = not PRODUCTION
# Uploaded files are private: never under STATIC_ROOT or served by URL, only through views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# A prefix nothing serves (Django needs one): private files go out only through views.
MEDIA_URL = "/private-media-not-served/"
# The folder of the pg_dump/pg_restore that backups use (qaf/backup.py); unset, they are found.
QAF_PG_BIN = env.str("QAF_PG_BIN", default="")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="qaf@council.example")

# Celery: Redis broker, Europe/London beat schedule. Later issues add the nightly jobs.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 5}
# Tests run their own worker: each test process gets a queue of its own, so parallel test
# processes (pytest-xdist) and a developer's `make run` worker never take each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = (
    f"qaf-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
    if QAF_ENV == "test"
    else env.str("CELERY_QUEUE", default="celery")
)
QAF_NIGHTLY_HOUR = env.int("QAF_NIGHTLY_HOUR", default=2)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "qaf.tasks.heartbeat", "schedule": crontab(minute="*/15")},
    # SPEC §8: every night at 02:00 Europe/London (CELERY_TIMEZONE), by default.
    "nightly": {"task": "risk.nightly", "schedule": crontab(hour=QAF_NIGHTLY_HOUR, minute=0)},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous request is told 401 with WWW-Authenticate: Token.
        "qaf.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["qaf.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "qaf.drf.ScopedOrderingFilter",
    ],
    # JSON that nothing can store (NUL, lone surrogates, 1e309) is a 400 (qaf.inputs).
    "DEFAULT_PARSER_CLASSES": [
        "qaf.drf.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "qaf.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "qaf.drf.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATE_INPUT_FORMATS": ["iso-8601"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "QAF API",
    "DESCRIPTION": "Quality Assurance Framework for commissioned social care. "
    "The permissions are exactly the web UI's.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: no CDN (and none reachable from a council
    # network that blocks them).
    "SWAGGER_UI_DIST": "SIDECAR",
    # The 400/401/403/404/409 each operation can answer, with one Error body (qaf/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "qaf.schema.add_error_responses",
    ],
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RegulatorRatingEnum": "providers.models.RegulatorRating",
        "StatusEnum": "providers.models.IntelligenceStatus",
        "RagEnum": "qaf.rag.Rag",
        # A risk factor's RAG may be n/a (it does not apply): not the same values as a review's.
        "FactorRagEnum": "qaf.rag.FACTOR_VALUES",
        "ReviewKindEnum": "reviews.models.ReviewKind",
        "ConcernLevelEnum": "escalation.models.concern.Level",
        "MeetingKindEnum": "escalation.models.board.MeetingKind",
        "MeetingStatusEnum": "escalation.models.board.MeetingStatus",
        "MemberKindEnum": "escalation.models.board.MemberKind",
        "BoardRoleEnum": "escalation.models.board.BoardRole",
        "EscalationStageEnum": "escalation.models.case.Stage",
        "SuspensionReasonEnum": "escalation.models.suspension.SuspensionReason",
        "RevocationReasonEnum": "escalation.models.revocation.RevocationReason",
        # The decision on an appeal, against a suspension or a revocation alike.
        "AppealOutcomeEnum": ["upheld", "refused"],
        "ImprovementPlanStatusEnum": "escalation.models.plan.PlanStatus",
        "PlanActionStatusEnum": "escalation.models.plan.PlanActionStatus",
        "PlanSuggestionStatusEnum": "escalation.models.plan.PlanSuggestionStatus",
        # What an update on an improvement action says of it: still going, or done.
        "PlanUpdateStatusEnum": ["in_progress", "done"],
    },
}

# API tokens (qaf/tokens.py) work for this many days from their issue, then a new one is needed.
QAF_API_TOKEN_DAYS = env.int("QAF_API_TOKEN_DAYS", default=30)
if QAF_API_TOKEN_DAYS < 1:
    raise ImproperlyConfigured("QAF_API_TOKEN_DAYS must be 1 or more")

# A provider user's invitation (providers/portal_users.py): its link works for this many days
# from when it was (last) sent, then the organisation's administrator sends it again.
QAF_INVITATION_DAYS = env.int("QAF_INVITATION_DAYS", default=7)
if QAF_INVITATION_DAYS < 1:
    raise ImproperlyConfigured("QAF_INVITATION_DAYS must be 1 or more")

# The CQC change sync (providers/cqc_sync.py), run nightly before the re-rating: off until a
# subscription key of CQC's public API (https://api-portal.service.cqc.org.uk) is set.
QAF_CQC_SUBSCRIPTION_KEY = env.str("QAF_CQC_SUBSCRIPTION_KEY", default="")
QAF_CQC_API_URL = env.str("QAF_CQC_API_URL", default="https://api.service.cqc.org.uk/public/v1")
# The longest one CQC sync run goes on for; a run out of time stops and the next one resumes.
QAF_CQC_SYNC_BUDGET_SECONDS = env.int("QAF_CQC_SYNC_BUDGET_SECONDS", default=15 * 60)

DJANGO_TABLES2_TEMPLATE = "includes/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "govuk-table"}

# The council running this instance: shown in the header, letters and reports.
COUNCIL_NAME = env.str("COUNCIL_NAME", default="Avonmere Council")
COUNCIL_SERVICE_NAME = env.str("COUNCIL_SERVICE_NAME", default="Quality Assurance Framework")
COUNCIL_AREA = env.str("COUNCIL_AREA", default="Avonmere")
# The quality team's telephone number: the Managed Placements Memo's contact for a service
# without a lead officer (or whose lead officer has no number of their own).
COUNCIL_QUALITY_PHONE = env.str("COUNCIL_QUALITY_PHONE", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Every login is in axes' tables (Django admin); the log gets warnings only.
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO; its warnings (a missing font) still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Forms render as GOV.UK Frontend components (templates/forms/).
FORM_RENDERER = "qaf.forms.GovukFormRenderer"

# Uploads (qaf.files) and the virus scan (qaf.virus), SPEC §10. Files wait, unserved, until
# the scanner says they are clean; production scans with ClamAV (clamd) unless told otherwise.
QAF_UPLOAD_MAX_BYTES = env.int("QAF_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
QAF_VIRUS_SCANNER = env.str("QAF_VIRUS_SCANNER", default="clamd" if PRODUCTION else "none")
if QAF_VIRUS_SCANNER not in {"clamd", "none"}:
    raise ImproperlyConfigured(
        f"QAF_VIRUS_SCANNER must be clamd or none, not {QAF_VIRUS_SCANNER!r}"
    )
QAF_CLAMD_SOCKET = env.str("QAF_CLAMD_SOCKET", default="/var/run/clamav/clamd.ctl")
QAF_CLAMD_TIMEOUT = env.float("QAF_CLAMD_TIMEOUT", default=60.0)
# Files still waiting (clamd was down, a task was lost) are sent to the scanner again.
CELERY_BEAT_SCHEDULE["evidence-scan"] = {
    "task": "providers.scan_waiting_evidence",
    "schedule": crontab(minute="*/15"),
}

# Staff two-factor sign-in (SPEC §10, qaf/twofactor.py): after the password, council staff give
# a code from an authenticator app (TOTP, django-otp) or a single-use recovery code. Provider
# users are not asked. On in production; off in development and tests (demo logins, the suite).
QAF_STAFF_2FA = env.bool("QAF_STAFF_2FA", default=PRODUCTION)
# The name the authenticator app shows beside the code.
OTP_TOTP_ISSUER = f"QAF {COUNCIL_NAME}".replace(":", "")
# django-otp's throttle: after n wrong codes in a row, the next try waits 2^(n-1) seconds.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Django admin never shows a colleague's secret key or QR code (an administrator resets 2FA by
# deleting the devices; the colleague sets it up again).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Data protection (qaf/privacy/, docs/data-protection.md): how long each kind of record is kept
# after its date, as {"years": n} or {"days": n}. The nightly purge (qaf.privacy.purge) deletes a
# record, its history rows and its files on the day its period ends, unless it is still
# needed (an open case, plan, suspension or revocation on its service, a legal hold...).
# Casework records default to QAF_RETENTION_YEARS (6: the Limitation Act's six years for a
# claim in contract, as councils' retention schedules give for contract monitoring records).
QAF_RETENTION_YEARS = env.int("QAF_RETENTION_YEARS", default=6)


def _retention(name: str, unit: str, default: int) -> dict[str, int]:
    value = env.int(f"QAF_RETENTION_{name.upper()}_{unit.upper()}", default=default)
    if value < 1:
        raise ImproperlyConfigured(f"QAF_RETENTION_{name.upper()}_{unit.upper()} must be 1 or more")
    return {unit: value}


QAF_RETENTION = {
    "intelligence": _retention("intelligence", "years", QAF_RETENTION_YEARS),
    "review": _retention("review", "years", QAF_RETENTION_YEARS),
    "access_log": _retention("access_log", "years", QAF_RETENTION_YEARS),
    "subject_access_log": _retention("subject_access_log", "years", QAF_RETENTION_YEARS),
    "invitation": _retention("invitation", "days", 90),
    "notification": _retention("notification", "days", 365),
    "job_run": _retention("job_run", "days", 365),
    "import_job": _retention("import_job", "days", 90),
    "quarantined_evidence": _retention("quarantined_evidence", "days", 30),
}
# Half an hour after the nightly re-rating, under its own lock and run record (risk.jobs).
CELERY_BEAT_SCHEDULE["retention-purge"] = {
    "task": "privacy.purge_expired",
    "schedule": crontab(hour=QAF_NIGHTLY_HOUR, minute=30),
}

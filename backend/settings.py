"""CaseAssure settings. Every value comes from the environment; a bad value fails loudly.

DJANGO_ENV=development (default): SQLite and the filesystem broker under DATA_DIR unless
DATABASE_URL / REDIS_URL say otherwise. DJANGO_ENV=production: DEBUG is off, SECRET_KEY and
ALLOWED_HOSTS are required, cookies are secure and HSTS is on.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from backend.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Environment ------------------------------------------------------------------------
ENVIRONMENT = env_choice("DJANGO_ENV", "development", ("development", "production"))
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_ENV=production")
    SECRET_KEY = "development-only-key-never-use-in-production-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DJANGO_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))
# The embedded default keeps its database, broker queue and report files here; creating the
# folders up front lets a fresh clone start with no set-up step.
for folder in ("", "files", "static", "broker/queue", "broker/processed", "broker/control"):
    (DATA_DIR / folder).mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = DATA_DIR / "files"
STATIC_ROOT = DATA_DIR / "static"
STATIC_URL = "/static/"
MEDIA_URL = "/files/"

# --- Applications -----------------------------------------------------------------------
INSTALLED_APPS = [
    "audits.apps.CaseAssureAdminConfig",  # django.contrib.admin, every change recorded
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "audits",
    "worker",
]

MIDDLEWARE = [
    # First: an oversized body is refused from its Content-Length, before anything reads it.
    "audits.infra.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audits.infra.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audits.infra.middleware.NoStoreMiddleware",
    "audits.infra.access_log.AccessLogMiddleware",  # after authentication: who read case data
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
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
                "audits.web.notifications.unread",
                "audits.web.words.stratum_teams",
            ]
        },
    }
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {
            # Health checks replace a connection the server dropped (a restart) instead of
            # failing the next request with it.
            "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
        }
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}") from None
    # Each web process keeps a pool of PostgreSQL connections (psycopg_pool) shared by its
    # threads, instead of one per thread held for a minute: gunicorn.conf.py sets
    # DB_POOL_MAX_SIZE to its thread count unless it is given. 0 (the default outside
    # gunicorn: Celery's forked workers keep persistent connections) turns it off.
    DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 0, minimum=0)
    if DB_POOL_MAX_SIZE and "postgresql" in DATABASES["default"]["ENGINE"]:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django requires 0
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 1, minimum=0),
            "max_size": DB_POOL_MAX_SIZE,
            # A request waits this long for a free connection, then fails (a 500, logged).
            "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "caseassure.sqlite3",
            # The web process and the worker write to one file: wait for the lock, not fail.
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
            # A file (not memory) so a live Celery worker in the tests sees the test data.
            "TEST": {"NAME": DATA_DIR / "test-caseassure.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Two PostgreSQL roles (see backend/db_roles.py): DATABASE_URL is the runtime role the web,
# worker and beat processes use, which may only INSERT and SELECT the history tables;
# DATABASE_OWNER_URL, given to the one-off `migrate` alone, owns the tables. Only the owner
# URL's user, password, host and port are used: it always reaches DATABASE_URL's database
# (the test database too). Without it one role does everything, as in development.
DATABASE_OWNER = None
DATABASE_RUNTIME_ROLE = None
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")
if DATABASE_OWNER_URL:
    try:
        owner = dj_database_url.parse(DATABASE_OWNER_URL)
    except ValueError as error:
        message = f"DATABASE_OWNER_URL is not a valid database URL: {error}"
        raise ImproperlyConfigured(message) from None
    if "postgresql" not in owner["ENGINE"] or "postgresql" not in DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_OWNER_URL needs PostgreSQL, and so does DATABASE_URL")
    if not owner["USER"] or not DATABASES["default"]["USER"]:
        raise ImproperlyConfigured("DATABASE_URL and DATABASE_OWNER_URL must each name a role")
    if owner["USER"] == DATABASES["default"]["USER"]:
        raise ImproperlyConfigured(
            "DATABASE_OWNER_URL must name another role than DATABASE_URL (the runtime role)"
        )
    DATABASE_OWNER = {key: owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
    DATABASE_RUNTIME_ROLE = DATABASES["default"]["USER"]

# --- Celery -----------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the hardest task time limit, so a running task is never redelivered.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60),
    }
else:
    # The host is not used by this transport, but kombu warns "No hostname was supplied"
    # each time it describes a connection whose URL has none.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # The exchange tables; kombu's default is ./control, in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the database
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_MAX_MEMORY_KB", 400_000, minimum=50_000)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_SOFT_TIME_LIMIT", 600, minimum=10)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TIME_LIMIT", 900, minimum=20)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that enqueues must not hang on a dead broker: fail fast, the sweep retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "worker.tasks.ping", "schedule": 60.0},
    "overdue-escalations": {"task": "worker.tasks.remind_overdue_escalations", "schedule": 900.0},
    "action-reminders": {"task": "worker.tasks.remind_actions", "schedule": 3600.0},
    "audit-reminders": {"task": "worker.tasks.remind_audits", "schedule": 3600.0},
    "response-requests": {"task": "worker.tasks.request_responses", "schedule": 900.0},
    "report-sweep": {"task": "worker.tasks.sweep_reports", "schedule": 60.0},
    "retention-purge": {"task": "worker.tasks.purge_retention", "schedule": 24 * 3600.0},
    # The audit programme's cycles are made on their day. Hourly, not daily, so a worker that
    # was down catches up within the hour; a run makes each occurrence's cycle once at most.
    "audit-programme": {"task": "worker.tasks.run_programme", "schedule": 3600.0},
}

# --- Auth, sessions and login defences -------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "audits.web.sso.LocalPasswordBackend",  # ModelBackend, refusing when LOCAL_PASSWORDS=off
    "audits.web.sso.SingleSignOnBackend",  # OpenID Connect (mozilla-django-oidc)
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60, minimum=300)
# Saving on every request turns the cookie age into an idle timeout.
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind TLS proxies REMOTE_ADDR is the proxy's address, so the lockout would key every
# client on it (and anyone could lock a named user out). With TRUSTED_PROXY_COUNT proxies in
# front, the client is the address the outermost of them appended to X-Forwarded-For; with
# 0 (the default: no proxy) the header is ignored, since a client can write anything in it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "audits.infra.middleware.client_ip"

# --- Single sign-on (OpenID Connect, mozilla-django-oidc) ---------------------------------------
# On when OIDC_ISSUER and OIDC_CLIENT_ID are set. The endpoints come from the issuer's
# discovery document (OIDC_DISCOVERY_URL, default <issuer>/.well-known/openid-configuration);
# authorisation code flow with PKCE (S256); the ID token checked against the issuer's keys.
OIDC_ISSUER = (env_str("OIDC_ISSUER", "") or "").rstrip("/")
OIDC_DISCOVERY_URL = env_str("OIDC_DISCOVERY_URL", "") or (
    f"{OIDC_ISSUER}/.well-known/openid-configuration" if OIDC_ISSUER else ""
)
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_ORGANISATION = env_str("OIDC_ORGANISATION", "your organisation")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGORITHM", "RS256")
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the sign-out at the provider
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
OIDC_TIMEOUT = 10
# Off: only superusers (the break-glass administrator account) may use a password; everyone
# else signs in at the provider. API tokens are unaffected.
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
if not LOCAL_PASSWORDS and not (OIDC_ISSUER and OIDC_RP_CLIENT_ID):
    raise ImproperlyConfigured("LOCAL_PASSWORDS=off needs OIDC_ISSUER and OIDC_CLIENT_ID")
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1)

# --- Security headers -------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}
if OIDC_ISSUER:  # "Sign out" posts here, then is sent on to the provider's end-session page
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        "/".join(OIDC_ISSUER.split("/", 3)[:3])
    )

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "audits.infra.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the two views that take a file (register import, evidence) add multipart
    # themselves. Form and multipart everywhere made the schema offer each body three ways,
    # and generated clients then sent multipart.
    "DEFAULT_PARSER_CLASSES": ["audits.api.strict.StrictJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "audits.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["audits.api.strict.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "audits.api.strict.StrictLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "audits.api.errors.exception_handler",
}
# The OpenAPI schema and its docs describe every route: open in development (tests and
# tooling read them), signed-in users only in production unless this says otherwise.
API_SCHEMA_PUBLIC = env_bool("API_SCHEMA_PUBLIC", not PRODUCTION)
SPECTACULAR_SETTINGS = {
    "TITLE": "CaseAssure API",
    "DESCRIPTION": "Case-audit quality assurance: samples, audits, moderation, reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Tags and operation ids from the path after this (``reports_audits_csv_retrieve``).
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Request bodies without the read-only fields (``ReportJobRequest`` needs only a cycle).
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReportStatusEnum": "audits.models.reports.ReportJob.Status",
        "OpinionEnum": "audits.core.opinion.LEVELS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "audits.api.schema.postprocess_error_component",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Domain -----------------------------------------------------------------------------
CASE_TYPES = [
    "referral",
    "assessment",
    "cin",
    "cp",
    "cla",
    "care_leaver",
    "early_help",
    *env_list("EXTRA_CASE_TYPES", []),
]
# The audit window: a cycle's audits are due this many working days (Monday to Friday,
# England and Wales bank holidays left out) after the draw, unless the QA lead sets the
# window on the cycle. A setting, not an admin model: each cycle's window is set and
# extended in the app (with a reason, evented); this only seeds new cycles.
AUDIT_WINDOW_WORKING_DAYS = env_int("AUDIT_WINDOW_WORKING_DAYS", 20, minimum=1)
# Seconds to hold each report stage; only the fault drills set it (see tests/test_faults.py).
# Practitioners respond to an audit's final findings within this many working days (England
# and Wales bank holidays excluded), and are reminded this many working days before the end.
PRACTITIONER_RESPONSE_WORKING_DAYS = env_int("PRACTITIONER_RESPONSE_WORKING_DAYS", 10, minimum=1)
PRACTITIONER_REMIND_WORKING_DAYS = env_int("PRACTITIONER_REMIND_WORKING_DAYS", 2, minimum=0)
REPORT_DRILL_PAUSE = env_int("REPORT_DRILL_PAUSE", 0, minimum=0)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
# Any other request body (JSON, forms); both limits are checked against Content-Length
# before the body is read (audits.infra.middleware.RequestSizeLimitMiddleware). Set the proxy's
# own limit (nginx client_max_body_size) to IMPORT_MAX_BYTES too.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "caseassure@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
# Emails carry a link to the page, never case details: this is where the links point.
SITE_URL = env_str(
    "SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000"
).rstrip("/")

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Logging: no personal data; request paths carry only numeric ids --------------------
# One console handler, on the root logger. Django's default configuration also gives the
# `django` logger a console handler (in DEBUG) and lets it propagate, which printed every
# line twice: here it only propagates. `django.server` (runserver's request lines) keeps its
# own handler and does not propagate, so it too prints once.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"handlers": [], "propagate": True}},
}

# --- Storage ----------------------------------------------------------------------------
# Every file the service keeps lives in a named storage (issue 21): frames and exclusions,
# report files, register uploads, evidence, inspection packs. Default: the file system under
# DATA_DIR. Code reads and writes them through django.core.files.storage.storages[NAME],
# never by path, so another backend is a settings change.
FILE_SYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"
EVIDENCE_STORAGE_BACKEND = env_str("EVIDENCE_STORAGE_BACKEND") or FILE_SYSTEM_STORAGE
# The storages a backup copies and a restore fills (manage.py backup / restore).
FILE_STORAGES = ("frames", "reports", "imports", "evidence", "packs")


def _local_storage(folder: str) -> dict:
    return {
        "BACKEND": FILE_SYSTEM_STORAGE,
        "OPTIONS": {"location": str(DATA_DIR / folder), "base_url": None},
    }


STORAGES = {
    "default": {"BACKEND": FILE_SYSTEM_STORAGE},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Sampling frames and exclusion lists (gzip CSV), one pair per drawn cycle.
    "frames": _local_storage("files/frames"),
    # Report files (JSON, PDF, CSV), one folder per compile job.
    "reports": _local_storage("files"),
    # Register files uploaded for import, kept until the worker has imported them.
    "imports": _local_storage("imports"),
    # Evidence files: private, never served from a URL (downloads go through a scoped view
    # that logs the read and checks the SHA-256).
    "evidence": {
        "BACKEND": EVIDENCE_STORAGE_BACKEND,
        "OPTIONS": {"location": str(DATA_DIR / "evidence"), "base_url": None}
        if EVIDENCE_STORAGE_BACKEND == FILE_SYSTEM_STORAGE
        else {},
    },
    # Inspection packs (zip), one per build.
    "packs": _local_storage("packs"),
}
# FILE_STORAGE=s3: every storage above (frames, reports, imports, evidence, packs) in one
# S3-compatible bucket through django-storages, each under its own key prefix. Objects are
# private (no ACL grant, no public URL): downloads stream through the scoped views, which
# check each file's SHA-256. Several web nodes and workers then share files with no shared
# disk (issue 21). Default: the file system under DATA_DIR, no other service needed.
FILE_STORAGE = env_choice("FILE_STORAGE", "filesystem", ("filesystem", "s3"))
if FILE_STORAGE == "s3":
    from backend.file_storage import s3_storages

    if not env_str("S3_BUCKET"):
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET.")
    STORAGES.update(
        s3_storages(
            FILE_STORAGES,
            bucket=env_str("S3_BUCKET"),
            endpoint_url=env_str("S3_ENDPOINT_URL"),
            access_key=env_str("S3_ACCESS_KEY_ID"),
            secret_key=env_str("S3_SECRET_ACCESS_KEY"),
            region=env_str("S3_REGION"),
            prefix=env_str("S3_PREFIX") or "",
            addressing_style=env_str("S3_ADDRESSING_STYLE"),
        )
    )
# Evidence limits: per file, and per audit (its answers) or per action.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
EVIDENCE_QUOTA_BYTES = env_int("EVIDENCE_QUOTA_BYTES", 50 * 1024 * 1024, minimum=1024)
EVIDENCE_QUOTA_FILES = env_int("EVIDENCE_QUOTA_FILES", 20, minimum=1)

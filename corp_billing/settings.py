"""Settings, read from the environment.

Two profiles, chosen by ``CORP_BILLING_PROFILE``:

* ``development`` (default): SQLite next to the code, console mail, DEBUG on.
* ``production``: DEBUG off, secrets and hosts from the environment, HTTPS-only cookies and HSTS;
  ``manage.py check --deploy`` is clean with it.

``DATABASE_URL`` (e.g. ``postgres://postgres@127.0.0.1:5432/corp_billing``) overrides the database
in either profile.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
PROFILE = env.str("CORP_BILLING_PROFILE", default="development")
if PROFILE not in {"development", "production"}:
    raise environ.ImproperlyConfigured(
        f"CORP_BILLING_PROFILE must be 'development' or 'production', not {PROFILE!r}"
    )
PRODUCTION = PROFILE == "production"

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    DEBUG = False
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-key-not-for-production-0123456789abcdef")
    DEBUG = env.bool("DEBUG", default=True)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

# Links in e-mails (password reset, quote notifications) are built from this, never from the
# request's Host header, so a forged Host cannot redirect a reset link to an attacker.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
VENDOR_NAME = env.str("VENDOR_NAME", default="LogMeIn, Inc.")
PRODUCT_NAME = "OpenVoice"
# The Billing Center's card processor (billing_center/processor.py documents the interface). The
# local one is for development and tests; production names its own implementation here.
BILLING_PAYMENT_PROCESSOR = env.str(
    "BILLING_PAYMENT_PROCESSOR", default="billing_center.processor.LocalProcessor"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # django.contrib.staticfiles, collecting only what we serve (issue 7, item 2; see apps.py).
    "corp_billing.apps.StaticFilesConfig",
    # The project's own start-up hooks: loads the job queue (corp_billing/celery.py).
    "corp_billing.apps.CorpBillingConfig",
    # viewflow's task queue reads guardian's generic tables only under this exact label.
    "guardian",
    "axes",
    "csp",
    "viewflow",
    "viewflow.workflow",
    "audit",
    # Outgoing mail (issue 7, item 8): every e-mail is a row, sent on commit, retried by
    # `manage.py send_queued_mail`. The lowest app: it knows nothing of the others.
    "outbox",
    # Job results, failures included, kept in the database and shown in the admin (issue 14).
    "django_celery_results",
    "contacts",
    "quotes",
    "purchase_orders",
    # The Billing Center for self-service accounts (issue 12): plans, invoices, payment methods.
    "billing_center",
    # Finance's spreadsheet exports and the staff dashboards (issue 13).
    "finance",
    "workflows",
]

MIDDLEWARE = [
    # First, so every answer (redirects and errors included) and every log line has the id.
    "corp_billing.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every page, error pages included (issue 7, item 15).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in pages and PDFs: Cache-Control private, no-store (issue 7, item 15).
    "corp_billing.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it can turn a locked-out login into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "corp_billing.urls"
# bench/http_bench.py serves the product's URLs plus its bare yardstick page (bench/urls.py);
# never set in a deployment.
if env.bool("BENCH_URLS", default=False):
    ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "corp_billing.wsgi.application"

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
                "contacts.context_processors.portal",
            ],
            # The project's own tags (not an app of their own).
            "libraries": {
                "tables": "corp_billing.templatetags.tables",
                "times": "corp_billing.templatetags.times",
            },
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Production keeps each worker's connection for a minute instead of one per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- SQLite under concurrency (issue 7, item 9) ----------------------------------------------
# Several people writing at once must wait their turn, never get a 500 "database is locked".
# * transaction_mode IMMEDIATE takes the write lock when a transaction begins: two transactions
#   can no longer both read and then both try to write, a deadlock SQLite answers with an
#   immediate "database is locked" whatever the timeout.
# * timeout: how long (seconds) a writer waits for the lock before giving up.
# * WAL lets readers go on while one writer writes; synchronous=NORMAL is durable enough with
#   WAL (a power cut may lose the last commits, never corrupt the file) and much faster.
# Tests use a file too, not SQLite's shared in-memory database, so they exercise file locking
# as `make run` does (pytest-django adds the xdist worker's suffix to the name).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=20,
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(tempfile.gettempdir()) / f"corp_billing_test_{os.getpid()}.sqlite3")
    )
# --- end SQLite ------------------------------------------------------------------------------
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "contacts.User"
AUTHENTICATION_BACKENDS = [
    # Refuses locked-out (login ID, address) pairs before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "contacts.backends.LoginIdBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "contacts:login"
LOGIN_REDIRECT_URL = "contacts:home"
LOGOUT_REDIRECT_URL = "contacts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour: a reset link is a key to the account
# A new billing contact's link to set their first password: sent by mail to someone who may not
# read it the same day, so longer than a reset link, and single-use like it.
CONTACT_INVITATION_TIMEOUT = timedelta(hours=72)

# guardian: no anonymous user row; nobody anonymous holds object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: 5 failures for one (login ID, address) pair lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "contacts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "contacts.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# --- Long quotes (issue 7, item 14) -----------------------------------------------------------
# The quote edit page posts every line at once: 5 fields a line (6 with "delete" ticked), plus
# three blank rows, the header (5), the management form (4) and two buttons/tokens. 1,000 lines
# are about 6,030 fields; Django's default of 1,000 stops at about 197 lines. 10,000 leaves room
# (about 1,600 lines) while still refusing a request stuffed with fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# 1,000 lines with full 500-character descriptions in a non-Latin script are about 4.5 MB once
# form-encoded (9 bytes a character); Django's default is 2.5 MB. Files are not uploaded here.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# --- end long quotes -------------------------------------------------------------------------

# --- Private files (purchase-order documents, finance exports) ---------------------------------
# Uploaded customer documents and written finance exports live here, outside STATIC_ROOT and any
# URL: nothing serves this directory. They are read only by access-checked views
# (purchase_orders.views.document_download, finance.views.export_file).
PRIVATE_FILES_ROOT = Path(env.str("PRIVATE_FILES_ROOT", default=str(BASE_DIR / "private_files")))
# --- end private files -----------------------------------------------------------------------

# --- Client address behind the TLS proxy (throttling and audit) -------------------------------
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the app is reached
# directly and REMOTE_ADDR is the client. N: the client is the Nth entry from the right, so a
# forged leftmost entry is ignored and one attacker's failures do not lock out everybody behind
# the proxy. audit.services.client_ip reads it, for the audit trail and for axes alike.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "audit.services.client_ip"

# --- Password-reset throttling (contacts.services.password_reset_request) ---------------------
# Requests, not mails, are counted, per User ID (however typed, existing or not) and per client
# address, so the limit floods nobody's mailbox and tells nobody which IDs exist.
PASSWORD_RESET_LIMIT_PER_ID = 5
PASSWORD_RESET_LIMIT_PER_ADDRESS = 20
PASSWORD_RESET_WINDOW = timedelta(hours=1)

# How often a member may e-mail the billing admin (per member and account).
BILLING_ADMIN_EMAIL_LIMIT = 3
BILLING_ADMIN_EMAIL_WINDOW = timedelta(hours=1)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes (production serves from here); CI and tests collect to a tmp dir.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development and tests whitenoise serves straight from the finders; no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="billing@openvoice.example")
if PRODUCTION:
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    # A hung mail server must not hold a request (mail is sent on commit) or a runner of
    # send_queued_mail for ever; outbox.services.CLAIM is longer than this.
    EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
    # CI's production smoke test writes mail to files (EMAIL_FILE_PATH) instead of SMTP.
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
if "EMAIL_FILE_PATH" in os.environ:
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")

# --- Content-Security-Policy (issue 7, item 15; django-csp) -----------------------------------
# Only our own files: no inline script or style, no plug-ins, no framing, forms post to us.
# Our templates and the Django admin's have no inline <script>, event-handler attribute or
# <style>; a style="" attribute is refused by the browser (keep styles in static/css/app.css).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    },
}
# --- end Content-Security-Policy -------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
    # A load balancer's health probe speaks plain HTTP to the app server itself.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Cache and sessions shared by every worker process (issue 14) ---------------------------
# The grant cache (contacts.permissions) and the throttling counters must be one for all the
# processes: a grant revoked through one worker is revoked in all. Production uses Redis
# (CACHE_URL); development, one process, keeps Django's in-memory cache unless told otherwise.
# Sessions stay in the database (Django's default engine), which every worker shares.
CACHE_URL = env.str("CACHE_URL", default="redis://127.0.0.1:6379/1" if PRODUCTION else "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="corp_billing"),
        }
    }

# --- Jobs (issue 14; Celery, corp_billing/celery.py) ----------------------------------------
# Development and tests run each job in-process the moment it is enqueued; production sends it
# to Redis for `make worker`. JOBS_EAGER overrides either way.
CELERY_TASK_ALWAYS_EAGER = env.bool("JOBS_EAGER", default=not PRODUCTION)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
# A job is acknowledged when it has finished, not when it starts: a worker killed mid-job
# leaves it unacknowledged, and Redis hands it to another worker after the visibility timeout.
# Every job is idempotent, so running one twice changes nothing more (the timeout: below).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One queue for every job; a name of its own lets several deployments (CI runs) share a Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("JOBS_QUEUE", default="corp_billing")
# Hard limits: the worker kills a job past CELERY_TASK_TIME_LIMIT (the soft limit raises in it
# first). Finance's export job has its own, shorter ones (finance/jobs.py).
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
FINANCE_EXPORT_TIME_LIMIT = 30 * 60
FINANCE_EXPORT_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged job to another worker once this has passed since it was
    # delivered, whether or not the first worker is still running it. It must be longer than the
    # longest job can run (CELERY_TASK_TIME_LIMIT), or a job still running is handed out a
    # second time (the claims make that harmless, but the work is done twice); and longer than
    # the longest retry wait (RETRY's 30 minutes), as a retry waits in Redis as an unacknowledged
    # message too. A lower JOBS_VISIBILITY_TIMEOUT is for tests that kill a worker.
    "visibility_timeout": env.int(
        "JOBS_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 10 * 60
    ),
    # A worker looks for jobs whose worker died every 10 s x this (kombu's default: 10, so
    # every 100 s); 3 brings a lost job back within the timeout and half a minute.
    "unacked_restore_throttle": env.int("JOBS_RESTORE_EVERY", default=3),
}
# Enqueuing happens after a commit, in a request: a broker that is down must not hold the
# person for long. The job's row (an outbox mail) is swept again by the periodic job.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Results (failures with their traceback) in the database, for the admin; kept a week.
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# In-process jobs keep theirs too: `make run` shows failed jobs in the admin as production does.
CELERY_TASK_STORE_EAGER_RESULT = True
CELERY_RESULT_EXPIRES = timedelta(days=7)
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
# The periodic jobs `celery beat` enqueues: what cron ran before (the commands still work).
CELERY_BEAT_SCHEDULE = {
    "send-queued-mail": {"task": "outbox.send_queued_mail", "schedule": 60.0},
    "expire-quotes": {"task": "workflows.expire_quotes", "schedule": 60.0 * 60},
    "renew-subscriptions": {"task": "billing_center.renew_subscriptions", "schedule": 60.0 * 60},
    # Expired export files go, lost export jobs are sent again (finance.services.exports_sweep).
    "sweep-finance-exports": {"task": "finance.sweep_exports", "schedule": 5 * 60.0},
    # Stamped copies whose job was lost (quotes.jobs), a bounded batch a run.
    "stamp-missing": {"task": "quotes.stamp_missing", "schedule": 5 * 60.0},
}
# How long a finance export's file is kept under PRIVATE_FILES_ROOT before the sweep deletes it.
FINANCE_EXPORTS_KEEP = timedelta(days=env.int("FINANCE_EXPORTS_KEEP_DAYS", default=7))
# How long a mail being sent is held by its sender before another may try it (outbox.services).
OUTBOX_CLAIM = timedelta(seconds=env.int("OUTBOX_CLAIM_SECONDS", default=10 * 60))

# --- Logs -------------------------------------------------------------------------------------
# Production writes one JSON object a line (python-json-logger), with the request or job id.
LOG_JSON = env.bool("LOG_JSON", default=PRODUCTION)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "corp_billing.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        # Failed sign-ins are in the audit trail; axes' own per-attempt lines are noise.
        "axes": {"level": "ERROR"},
        # One line per request in production (ACCESS_LOG=false turns it off).
        "corp_billing.access": {
            "level": "INFO" if env.bool("ACCESS_LOG", default=PRODUCTION) else "WARNING"
        },
        "celery": {"level": env.str("JOBS_LOG_LEVEL", default="INFO" if PRODUCTION else "WARNING")},
    },
}

"""gunicorn for the production profile (``make serve-prod``): several sync workers, each a
process with its own database connection; sessions (database) and cache (Redis) are shared.

Its own log lines are JSON like the application's (the access line is written by
corp_billing.middleware.RequestIdMiddleware, with the request id, so gunicorn's is off).
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8001")
workers = int(os.environ.get("WEB_WORKERS", "4"))
# A request slower than this is a bug or an attack; the worker is replaced, not left hanging.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Loopback and the TLS proxy in front: X-Forwarded-Proto from these decides https.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = None
# Several instances may run on one machine (CI, the benchmark): no shared control socket.
control_socket_disable = True
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

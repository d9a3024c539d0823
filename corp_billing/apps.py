from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


class StaticFilesConfig(DjangoStaticFilesConfig):
    """collectstatic gathers only what the project serves: its own static/ and the Django
    admin's. viewflow's frontend and guardian's admin are not exposed, so their files are left
    out. This also keeps viewflow's bundled roboto-fontface.css, which points at font files
    viewflow does not ship, from breaking the manifest storage's collectstatic; and a page that
    referred to a left-out file would fail loudly in tests rather than 404 in a browser.
    (Documented way to change collectstatic's default ignore patterns.)"""

    ignore_patterns = [*DjangoStaticFilesConfig.ignore_patterns, "viewflow/*", "guardian/*"]


class CorpBillingConfig(AppConfig):
    """The project's own hooks at Django's start."""

    name = "corp_billing"
    verbose_name = "Corporate billing"

    def ready(self):
        # Loaded with Django, so every @shared_task job binds to this app (and its broker), not
        # to Celery's default one.
        from . import celery  # noqa: F401

# The job queue is loaded with Django, so @shared_task jobs bind to it (corp_billing/celery.py).
from .celery import app as celery_app

__all__ = ("celery_app",)

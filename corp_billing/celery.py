"""The job queue (issue 14): Celery, with Redis as the broker in production.

``make run`` and the tests run every job in-process, at once (``CELERY_TASK_ALWAYS_EAGER``): no
extra server is needed. The production profile sends jobs to Redis, where ``make worker`` (part
of ``make serve-prod``) runs them and ``celery beat`` enqueues the periodic ones. Jobs live in
each app's ``jobs.py`` (``workflows/tasks.py`` is viewflow's step runner, not a job module).
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corp_billing.settings")

app = Celery("corp_billing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")


@task_prerun.connect
def _log_with_the_job_id(task_id=None, **kwargs):
    # A job's log lines carry its id where a request's carry the request id: one field to follow.
    from corp_billing.logging import request_id

    request_id.set(f"job-{task_id}")


@task_postrun.connect
def _forget_the_job_id(**kwargs):
    from corp_billing.logging import request_id

    request_id.set("-")

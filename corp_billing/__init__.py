# Deliberately empty: a Django-free module of this package (corp_billing.times, used by the PDF
# renderer) must import without loading Django. The job queue (corp_billing/celery.py) is loaded
# with Django instead, by ``apps.CorpBillingConfig.ready``.

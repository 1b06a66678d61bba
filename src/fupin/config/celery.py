"""Celery app. Tasks live in fupin.jobs.tasks, fupin.policy.tasks and fupin.procedures.tasks; progress is kept in Job rows, not in Celery results."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")

app = Celery("fupin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["fupin.jobs", "fupin.policy", "fupin.procedures"])

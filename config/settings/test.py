"""Test settings: the base settings with a fixed key and fast password hashing.

``DATABASE_URL`` and ``REDIS_URL`` select PostgreSQL and Redis exactly as in production; with
neither set the suite runs on SQLite with an in-memory cache and eager tasks.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-for-the-suite")

from .base import *  # noqa: F403
from .base import REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if REDIS_URL:
    # Tasks still run in-process under test so each test sees its own side effects; the cache
    # and broker connection are the real Redis.
    CELERY_TASK_ALWAYS_EAGER = True

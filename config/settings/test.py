"""Test settings: the base settings with a fixed key and fast password hashing.

``DATABASE_URL`` and ``REDIS_URL`` select PostgreSQL and Redis exactly as in production; with
neither set the suite runs on SQLite with an in-memory cache and eager tasks.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-for-the-suite")

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, REDIS_URL, STORAGES

# The demo app's commands and generator are tested with the rest (production does not install it).
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]

# A deployment speaks Ukrainian by default; the suite pins English so its assertions read the
# project's own English strings. Tests of the Ukrainian interface ask for it (Accept-Language,
# a user's language), as a browser or a user's preference does.
LANGUAGE_CODE = "en"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The suite runs without DEBUG, as production does, but its client speaks plain HTTP and logs in
# with force_login: no HTTPS redirect, and two-factor login is switched on by the tests of it.
# The lockout (django-axes) stays on.
SECURE_SSL_REDIRECT = False
REQUIRE_2FA = False
# Static files as found in the apps: no collectstatic (and no manifest) needed to render pages.
# Source files go to a folder of the test run's own, never the development one.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "sources": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="registry-test-sources-")},
    },
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Transactional tests end with a TRUNCATE of every table, the audit trail's included (audit).
AUDIT_ALLOW_TRUNCATE = True
# ... and the chain of custody's (sources).
SOURCES_ALLOW_CUSTODY_TRUNCATE = True
if REDIS_URL:
    # Tasks still run in-process under test so each test sees its own side effects; the cache
    # and broker connection are the real Redis.
    CELERY_TASK_ALWAYS_EAGER = True
# The suite makes thousands of list requests as the same few users within a minute: the list
# throttle is exercised by its own tests, at rates they set.
API_THROTTLE_LIST = "1000000/min"

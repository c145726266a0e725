"""Development settings, the default of ``manage.py`` (as in cookiecutter-django).

Debug is on unless ``DJANGO_DEBUG`` says otherwise, so a fresh checkout's commands (migrate,
makemigrations, shell) run without inventing a secret key. Production processes (gunicorn,
Celery, the container image) use ``config.settings.base``, which fails closed.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from .base import *  # noqa: F403
from .base import INSTALLED_APPS

# Demo and benchmark data (load_demo, create_demo_admin, create_demo_accounts): never installed
# by the production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]

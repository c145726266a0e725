"""Settings for benchmark runs: the production settings plus one constant-answer view used as
the HTTP floor, and the demo app that loads the synthetic cases. Never used to serve real
traffic."""

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "demo"]

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Served over plain HTTP on the loopback interface: no redirect to HTTPS. Every other
# production setting (middleware, security headers, audit context) stays on.
SECURE_SSL_REDIRECT = False
# The list throttle still runs on every request (its cache lookup is part of the cost), with a
# rate the measured requests never reach.
API_THROTTLE_LIST = "10000000/min"

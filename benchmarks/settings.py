"""Settings for benchmark runs: the production settings plus one constant-answer view used as
the HTTP floor. Never used to serve real traffic."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

"""The settings read their environment and fail closed.

Each test imports ``config.settings.base`` in a fresh interpreter with a clean environment, from a
copy of ``config/`` in a temporary directory: a developer's ``.env`` or ``var/`` cannot leak in,
and the import creates nothing in the working tree.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DIR = ROOT / "config" / "settings"

# Prints the settings under test as JSON; anything else ends up on stderr.
PROBE = """
import json, sys
import config.settings.base as s
from django.db.backends.postgresql.psycopg_any import is_psycopg3
print(json.dumps({
    "file": s.__file__,
    "BASE_DIR": str(s.BASE_DIR),
    "DEBUG": s.DEBUG,
    "SECRET_KEY_SET": bool(s.SECRET_KEY),
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "DATABASE": {k: v for k, v in s.DATABASES["default"].items() if k != "PASSWORD"},
    "CACHES": s.CACHES,
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL,
    "CELERY_RESULT_BACKEND": s.CELERY_RESULT_BACKEND,
    "CELERY_TASK_ALWAYS_EAGER": s.CELERY_TASK_ALWAYS_EAGER,
    "CELERY_TASK_TIME_LIMIT": s.CELERY_TASK_TIME_LIMIT,
    "CELERY_TASK_SOFT_TIME_LIMIT": s.CELERY_TASK_SOFT_TIME_LIMIT,
    "CELERY_BROKER_TRANSPORT_OPTIONS": s.CELERY_BROKER_TRANSPORT_OPTIONS,
    "CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS": s.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS,
    "TIME_ZONE": s.TIME_ZONE,
    "USE_TZ": s.USE_TZ,
    "LANGUAGE_CODE": s.LANGUAGE_CODE,
    "STATIC_ROOT": str(s.STATIC_ROOT),
    "API_PAGE_SIZE": s.API_PAGE_SIZE,
    "LOG_LEVEL": s.LOG_LEVEL,
    "is_psycopg3": is_psycopg3,
}))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory holding a copy of ``config/`` and nothing else (no ``.env``, no ``var/``)."""
    shutil.copytree(
        ROOT / "config", tmp_path / "config", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def run_settings(project: Path, probe: str = PROBE, **env: str) -> subprocess.CompletedProcess[str]:
    clean_env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": str(project),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": str(project),
        "LANG": "C.UTF-8",
        **env,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", probe],
        cwd=project,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load_settings(project: Path, **env: str) -> dict[str, Any]:
    result = run_settings(project, **env)
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    # The copy was imported, not the working tree's config (which may have a .env beside it).
    assert Path(values["file"]).is_relative_to(project)
    return values


def test_settings_without_debug_and_secret_key_fail_closed(project):
    result = run_settings(project)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("debug", ["0", "false", ""])
def test_settings_with_debug_off_still_need_secret_key(project, debug):
    result = run_settings(project, DJANGO_DEBUG=debug)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_settings_with_secret_key_run_without_debug(project):
    values = load_settings(project, DJANGO_SECRET_KEY="x" * 50)

    assert values["DEBUG"] is False
    # Production answers to no host until told which.
    assert values["ALLOWED_HOSTS"] == []


def test_settings_debug_defaults_to_sqlite_under_var_and_eager_celery(project):
    values = load_settings(project, DJANGO_DEBUG="1")

    assert values["DEBUG"] is True
    assert values["SECRET_KEY_SET"] is True
    assert values["DATABASE"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DATABASE"]["NAME"] == str(project / "var" / "db.sqlite3")
    # Writers queue for the write lock instead of failing with "database is locked".
    assert values["DATABASE"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert values["DATABASE"]["OPTIONS"]["timeout"] >= 5
    assert "journal_mode=WAL" in values["DATABASE"]["OPTIONS"]["init_command"]
    assert (project / "var").is_dir()
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["CELERY_BROKER_URL"].startswith("memory://")
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert set(values["ALLOWED_HOSTS"]) >= {"127.0.0.1", "localhost"}


# Explicit ids: a bare "postgres" id would read as the ``postgres`` marker's keyword.
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"], ids=["scheme-short", "scheme-long"])
def test_settings_database_url_selects_postgresql_through_psycopg3(project, scheme):
    values = load_settings(
        project,
        DJANGO_DEBUG="1",
        DATABASE_URL=f"{scheme}://registry:secret@db.internal:5433/registry_prod",
    )

    database = values["DATABASE"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["HOST"], database["PORT"]) == (
        "registry_prod",
        "registry",
        "db.internal",
        5433,
    )
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    # Django's PostgreSQL backend prefers psycopg 3 when it is installed.
    assert values["is_psycopg3"] is True


def test_settings_conn_max_age_is_configurable(project):
    values = load_settings(
        project,
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://registry@db.internal/registry",
        DJANGO_CONN_MAX_AGE="0",
    )

    assert values["DATABASE"]["CONN_MAX_AGE"] == 0


def test_settings_redis_url_configures_cache_broker_and_result_store(project):
    url = "redis://cache.internal:6379/3"
    values = load_settings(project, DJANGO_DEBUG="1", REDIS_URL=url)

    cache = values["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == url
    assert cache["KEY_PREFIX"] == "registry"
    assert values["CELERY_BROKER_URL"] == url
    assert values["CELERY_RESULT_BACKEND"] == url
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False


def test_settings_celery_hands_a_lost_task_on_after_the_longest_task_could_run(project):
    values = load_settings(project, DJANGO_DEBUG="1", REDIS_URL="redis://cache.internal/0")

    assert values["CELERY_TASK_TIME_LIMIT"] == 15 * 60
    assert values["CELERY_TASK_SOFT_TIME_LIMIT"] < values["CELERY_TASK_TIME_LIMIT"]
    # Longer than the time limit and the longest retry delay (10 minutes); not Redis's hour.
    visibility = values["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    assert 15 * 60 < visibility < 3600
    assert values["CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS"]["visibility_timeout"] == visibility

    values = load_settings(
        project,
        DJANGO_DEBUG="1",
        CELERY_TASK_TIME_LIMIT="3600",
        CELERY_VISIBILITY_TIMEOUT="4000",
    )
    assert values["CELERY_TASK_TIME_LIMIT"] == 3600
    assert values["CELERY_TASK_SOFT_TIME_LIMIT"] == 3540
    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] == 4000

    # A time limit raised alone takes the visibility timeout with it.
    values = load_settings(project, DJANGO_DEBUG="1", CELERY_TASK_TIME_LIMIT="7200")
    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] > 7200


def test_settings_celery_refuse_a_visibility_timeout_a_running_task_outlasts(project):
    result = run_settings(
        project, DJANGO_DEBUG="1", CELERY_TASK_TIME_LIMIT="900", CELERY_VISIBILITY_TIMEOUT="600"
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CELERY_VISIBILITY_TIMEOUT" in result.stderr


def test_settings_cache_key_prefix_is_configurable(project):
    values = load_settings(
        project, DJANGO_DEBUG="1", REDIS_URL="redis://cache.internal/0", CACHE_KEY_PREFIX="staging"
    )

    assert values["CACHES"]["default"]["KEY_PREFIX"] == "staging"


def test_settings_store_utc_and_show_kyiv_time_in_ukrainian_by_default(project):
    values = load_settings(project, DJANGO_DEBUG="1")

    assert values["USE_TZ"] is True
    assert values["TIME_ZONE"] == "Europe/Kyiv"
    assert values["LANGUAGE_CODE"] == "uk"


def test_settings_read_every_documented_override(project, tmp_path):
    static_root = tmp_path / "collected"
    values = load_settings(
        project,
        DJANGO_SECRET_KEY="y" * 50,
        DJANGO_ALLOWED_HOSTS="registry.example.org,.partners.example.org",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://registry.example.org",
        DJANGO_LANGUAGE_CODE="en",
        DJANGO_TIME_ZONE="UTC",
        DJANGO_STATIC_ROOT=str(static_root),
        API_PAGE_SIZE="25",
        LOG_LEVEL="WARNING",
    )

    assert values["ALLOWED_HOSTS"] == ["registry.example.org", ".partners.example.org"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://registry.example.org"]
    assert values["LANGUAGE_CODE"] == "en"
    assert values["TIME_ZONE"] == "UTC"
    assert values["STATIC_ROOT"] == str(static_root)
    assert values["API_PAGE_SIZE"] == 25
    assert values["LOG_LEVEL"] == "WARNING"


def test_settings_under_test_use_the_fast_hasher_and_a_fixed_key():
    from django.conf import settings

    assert settings.SECRET_KEY
    assert settings.PASSWORD_HASHERS[0].endswith("MD5PasswordHasher")


# ---------------------------------------------------------------------------------------------
# Every variable the settings read is documented
# ---------------------------------------------------------------------------------------------
ENV_READ_RE = re.compile(r"""\benv(?:\.[a-z_]+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
ENVIRON_READ_RE = re.compile(r"""os\.environ(?:\.get|\.setdefault)?[\[(]\s*["']([A-Z][A-Z0-9_]*)""")
# Read by the tooling rather than the settings, and documented with them.
TOOLING_VARIABLES = {"PORT"}


def settings_variables() -> set[str]:
    names: set[str] = set()
    for path in SETTINGS_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        names.update(ENV_READ_RE.findall(source))
        names.update(ENVIRON_READ_RE.findall(source))
    return names


def test_settings_variables_are_found():
    # Guards the scan itself: if it found nothing, the documentation tests would pass vacuously.
    assert {
        "DJANGO_DEBUG",
        "DJANGO_SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
    } <= settings_variables()


def readme_table_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", readme, flags=re.MULTILINE))


def test_readme_documents_every_environment_variable():
    missing = (settings_variables() | TOOLING_VARIABLES) - readme_table_variables()

    assert not missing, f"add to the README's configuration table: {sorted(missing)}"


def test_env_example_names_every_environment_variable():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    missing = (settings_variables() | TOOLING_VARIABLES) - named
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_settings_local_is_the_development_default_and_base_stays_closed(project):
    """``manage.py`` defaults to ``config.settings.local`` (debug on, no key needed); the
    production module imported the same way still refuses to start without a key."""
    probe = (
        "import config.settings.local as s, config.settings.base as b; "
        "print(s.DEBUG, s.SECRET_KEY == b._DEV_SECRET_KEY)"
    )
    local = run_settings(project, probe)
    assert local.returncode == 0, local.stderr
    assert local.stdout.split() == ["True", "True"]
    assert run_settings(project).returncode != 0
    manage = (ROOT / "manage.py").read_text(encoding="utf-8")
    assert '"DJANGO_SETTINGS_MODULE", "config.settings.local"' in manage


# ---------------------------------------------------------------------------------------------
# Security settings: safe in production, usable over plain HTTP in development
# ---------------------------------------------------------------------------------------------
SECURITY_PROBE = """
import json
import config.settings.base as s
print(json.dumps({
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_HSTS_PRELOAD": s.SECURE_HSTS_PRELOAD,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_AGE": s.SESSION_COOKIE_AGE,
    "TRUSTED_PROXIES": s.TRUSTED_PROXIES,
    "REQUIRE_2FA": s.REQUIRE_2FA,
    "AXES_FAILURE_LIMIT": s.AXES_FAILURE_LIMIT,
    "AXES_COOLOFF_SECONDS": s.AXES_COOLOFF_TIME.total_seconds(),
    "API_THROTTLE_LIST": s.API_THROTTLE_LIST,
    "STATICFILES_BACKEND": s.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def load_security_settings(project: Path, **env: str) -> dict[str, Any]:
    result = run_settings(project, SECURITY_PROBE, **env)
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    return values


def test_settings_security_defaults_without_debug_assume_https(project):
    values = load_security_settings(project, DJANGO_SECRET_KEY="z" * 50)

    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_AGE": 8 * 60 * 60,
        "TRUSTED_PROXIES": 0,
        "REQUIRE_2FA": True,
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_SECONDS": 30 * 60,
        "API_THROTTLE_LIST": "120/min",
        "STATICFILES_BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }


def test_settings_security_with_debug_work_over_plain_http(project):
    values = load_security_settings(project, DJANGO_DEBUG="1")

    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["REQUIRE_2FA"] is False
    # No collectstatic needed in development.
    assert values["STATICFILES_BACKEND"].endswith("StaticFilesStorage")
    assert "Manifest" not in values["STATICFILES_BACKEND"]


def test_settings_security_read_every_documented_override(project):
    values = load_security_settings(
        project,
        DJANGO_SECRET_KEY="z" * 50,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_PROXY_SSL_HEADER="1",
        DJANGO_SECURE_HSTS_SECONDS="600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        DJANGO_SECURE_HSTS_PRELOAD="0",
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_CSRF_COOKIE_SECURE="0",
        DJANGO_SESSION_COOKIE_AGE="3600",
        TRUSTED_PROXIES="1",
        DJANGO_REQUIRE_2FA="0",
        AXES_FAILURE_LIMIT="3",
        AXES_COOLOFF_MINUTES="10",
        API_THROTTLE_LIST="10/sec",
    )

    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["SESSION_COOKIE_AGE"] == 3600
    assert values["TRUSTED_PROXIES"] == 1
    assert values["REQUIRE_2FA"] is False
    assert values["AXES_FAILURE_LIMIT"] == 3
    assert values["AXES_COOLOFF_SECONDS"] == 600
    assert values["API_THROTTLE_LIST"] == "10/sec"


def test_settings_pass_the_deployment_security_checks():
    """``manage.py check --deploy`` with production variables only: no security warning."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--tag",
            "security",
        ],
        cwd=ROOT,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8",
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            # A developer's .env may switch debug on; production never does.
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "Qw3-" + "".join(chr(ord("a") + i % 26) for i in range(60)),
            "DJANGO_ALLOWED_HOSTS": "registry.example.org",
            "DATABASE_URL": "postgres://registry@db.internal:5432/registry",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# ---------------------------------------------------------------------------------------------
# Source files: a folder outside any public URL, or a private S3-compatible bucket
# ---------------------------------------------------------------------------------------------
SOURCES_PROBE = (
    "import json, config.settings.base as s; "
    "print(json.dumps({'sources': s.STORAGES['sources'], 'limit': s.SOURCES_MAX_UPLOAD_BYTES}))"
)


def test_source_files_default_to_a_private_folder(project):
    result = run_settings(project, SOURCES_PROBE, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    storage = values["sources"]
    assert storage["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storage["OPTIONS"]["location"].endswith("var/sources")
    assert storage["OPTIONS"]["base_url"] is None  # no public URL
    assert values["limit"] == 50 * 1024 * 1024


def test_source_files_go_to_a_bucket_when_one_is_named(project):
    result = run_settings(
        project,
        SOURCES_PROBE,
        DJANGO_DEBUG="1",
        SOURCES_S3_BUCKET="registry-evidence",
        SOURCES_S3_ENDPOINT_URL="https://s3.example.org",
        SOURCES_MAX_UPLOAD_BYTES="1000",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    storage = values["sources"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "registry-evidence"
    assert storage["OPTIONS"]["endpoint_url"] == "https://s3.example.org"
    assert storage["OPTIONS"]["default_acl"] == "private"
    assert storage["OPTIONS"]["file_overwrite"] is False
    assert values["limit"] == 1000
    # django-storages accepts every option (it refuses unknown ones), without reaching the store.
    from storages.backends.s3 import S3Storage

    bucket = S3Storage(**storage["OPTIONS"])
    assert bucket.bucket_name == "registry-evidence"


def test_settings_case_counts_refuse_a_delay_under_ten_seconds(project):
    result = run_settings(project, DJANGO_DEBUG="1", CASE_COUNTS_MAX_AGE="5")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CASE_COUNTS_MAX_AGE" in result.stderr

"""How the registry is run, tested and deployed: Makefile, .ci/run, docker-compose.yml, Dockerfile.

Docker cannot run in the test environment, so the compose file and the Dockerfile are parsed and
checked for what would break a deployment: missing health checks, services starting before what
they need, required variables not wired, commands naming modules that do not exist, an image that
disagrees with the project. The Makefile is exercised for real with a stand-in interpreter that
records what it is asked to do.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
COMPOSE_ENV = {"DJANGO_SECRET_KEY": "k" * 50, "POSTGRES_PASSWORD": "pw4compose"}


# ---------------------------------------------------------------------------------------------
# docker-compose.yml
# ---------------------------------------------------------------------------------------------
class MissingVariable(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


_INTERPOLATION = re.compile(
    r"\$\$"
    r"|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's variable substitution: ``${X}``, ``${X:-default}``, ``${X:?error}``, ``$$``."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        unset = current is None or (current == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and unset:
            return arg
        if op in (":?", "?") and unset:
            raise MissingVariable(name, arg)
        return current or ""

    return _INTERPOLATION.sub(substitute, value)


@pytest.fixture(scope="module")
def compose_raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def compose(compose_raw: dict[str, Any]) -> dict[str, Any]:
    """The compose file as docker compose would see it with the required variables set."""
    resolved: dict[str, Any] = interpolate(compose_raw, COMPOSE_ENV)
    return resolved


def command_text(service: Mapping[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def health_text(service: Mapping[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def test_compose_defines_the_production_services(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "redis"}


def test_compose_every_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        healthcheck = service.get("healthcheck")
        assert healthcheck, f"{name} has no health check"
        assert not healthcheck.get("disable"), name
        test = healthcheck["test"]
        assert test, name
        assert test not in (["NONE"], "NONE"), name
        if isinstance(test, list):
            assert test[0] in ("CMD", "CMD-SHELL"), name


def test_compose_health_checks_probe_what_each_service_does(compose):
    services = compose["services"]

    assert "pg_isready" in health_text(services["postgres"])
    assert re.search(r"redis-cli\b.*\bping\b", health_text(services["redis"]))
    assert "http://127.0.0.1:8000/" in health_text(services["web"])
    worker_check = health_text(services["worker"])
    assert re.search(r"celery -A config inspect ping\b", worker_check)
    # The worker answers for itself, not for any worker that happens to share the broker.
    assert "--destination celery@$HOSTNAME" in worker_check
    assert "REDIS_URL" in health_text(services["beat"])


def test_compose_web_health_check_runs(compose, tmp_path):
    """The web check's Python parses and picks a Host header Django would accept."""
    snippet = compose["services"]["web"]["healthcheck"]["test"][-1]
    probe = snippet.replace("r.urlopen(", "print(h) or (lambda *a, **k: None)(")
    for allowed, expected in [
        ("registry.example.org,localhost", "registry.example.org"),
        (".example.org", "example.org"),
        ("*", "localhost"),
        ("", "localhost"),
    ]:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", probe],
            env={"DJANGO_ALLOWED_HOSTS": allowed, "PATH": os.environ.get("PATH", "")},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == expected


def test_compose_dependencies_wait_until_healthy(compose):
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency, spec in depends_on.items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert spec.get("condition") == "service_healthy", f"{name} -> {dependency}"
            assert services[dependency].get("healthcheck"), dependency

    for name in APP_SERVICES:
        assert {"postgres", "redis"} <= set(services[name]["depends_on"]), name
    # Worker and beat start after web has migrated the schema.
    assert "web" in services["worker"]["depends_on"]
    assert "web" in services["beat"]["depends_on"]


def test_compose_refuses_to_start_without_a_secret_key(compose_raw):
    with pytest.raises(MissingVariable) as missing:
        interpolate(compose_raw, {"POSTGRES_PASSWORD": "pw"})
    assert missing.value.name == "DJANGO_SECRET_KEY"

    with pytest.raises(MissingVariable) as missing:
        interpolate(compose_raw, {"DJANGO_SECRET_KEY": "k" * 50, "DJANGO_DEBUG": "1"})
    assert missing.value.name == "POSTGRES_PASSWORD"


def test_compose_wires_the_environment_into_every_app_service(compose_raw):
    env = {**COMPOSE_ENV, "DJANGO_ALLOWED_HOSTS": "registry.example.org"}
    services = interpolate(compose_raw, env)["services"]
    postgres = services["postgres"]["environment"]

    for name in APP_SERVICES:
        app_env = services[name]["environment"]
        assert app_env["DJANGO_SECRET_KEY"] == env["DJANGO_SECRET_KEY"], name
        assert app_env["DJANGO_ALLOWED_HOSTS"] == "registry.example.org", name
        assert "DJANGO_DEBUG" not in app_env, f"{name} must not run in debug mode"

        database = environ.Env.db_url_config(app_env["DATABASE_URL"])
        assert database["ENGINE"] == "django.db.backends.postgresql", name
        # The URL names the compose service and the credentials the postgres service is given.
        assert database["HOST"] == "postgres"
        assert database["NAME"] == postgres["POSTGRES_DB"]
        assert database["USER"] == postgres["POSTGRES_USER"]
        assert database["PASSWORD"] == postgres["POSTGRES_PASSWORD"] == env["POSTGRES_PASSWORD"]

        assert re.fullmatch(r"redis://redis:6379/\d+", app_env["REDIS_URL"]), name


# Documented variables compose does not hand to the app containers: it never runs in debug
# mode, and publishes the web service on PORT itself.
COMPOSE_NOT_PASSED = {"DJANGO_DEBUG", "PORT"}
# Set by compose whatever the shell or .env says: its own services, the image's static files
# and the volume for source files.
COMPOSE_FIXED = {"DATABASE_URL", "REDIS_URL", "DJANGO_STATIC_ROOT", "SOURCES_DIR"}


def readme_configuration_variables() -> set[str]:
    """The variables of the README's configuration table."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", section, flags=re.MULTILINE))


def container_environment(service: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """A service's environment as compose hands it to the container: a variable named without a
    value takes the shell's or .env's value, and is left out when neither sets it."""
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(
            (item.split("=", 1) if "=" in item else (item, None)) for item in environment
        )
    resolved = {}
    for name, value in environment.items():
        if value is None:
            if name in env:
                resolved[name] = env[name]
        else:
            resolved[name] = str(value)
    return resolved


def test_compose_passes_every_documented_setting_to_web_worker_and_beat(compose_raw):
    documented = readme_configuration_variables()
    assert {"EMAIL_URL", "SOURCES_S3_BUCKET", "DJANGO_ADMINS", "DJANGO_SECRET_KEY"} <= documented
    # An operator's .env that sets every documented variable (and the compose-only ones).
    dotenv = {name: f"value-of-{name.lower()}" for name in documented} | COMPOSE_ENV
    services = interpolate(compose_raw, dotenv)["services"]

    for name in APP_SERVICES:
        environment = container_environment(services[name], dotenv)
        missing = documented - COMPOSE_NOT_PASSED - set(environment)
        assert not missing, f"{name} does not get {sorted(missing)}"
        changed = {
            variable
            for variable in documented - COMPOSE_NOT_PASSED - COMPOSE_FIXED
            if environment[variable] != dotenv[variable]
        }
        assert not changed, f"{name} does not get the operator's {sorted(changed)}"
        assert not COMPOSE_NOT_PASSED & set(environment), name


def test_compose_leaves_unset_settings_to_the_registrys_defaults(compose_raw):
    """A variable neither the shell nor .env sets is not handed over empty: an empty
    API_PAGE_SIZE or SOURCES_MAX_UPLOAD_BYTES would stop the service at start."""
    services = interpolate(compose_raw, COMPOSE_ENV)["services"]

    for name in APP_SERVICES:
        environment = container_environment(services[name], COMPOSE_ENV)
        assert "EMAIL_URL" not in environment
        assert "API_PAGE_SIZE" not in environment
        assert all(
            value != ""
            for key, value in environment.items()
            if key != "DJANGO_CSRF_TRUSTED_ORIGINS"
        ), name


def test_compose_web_and_worker_keep_source_files_on_one_shared_volume(compose_raw):
    services = interpolate(compose_raw, COMPOSE_ENV)["services"]
    workdir = PurePosixPath(
        [args for instruction, args in dockerfile_instructions() if instruction == "WORKDIR"][-1]
    )

    volumes = {}
    for name in ("web", "worker"):
        sources_dir = container_environment(services[name], COMPOSE_ENV)["SOURCES_DIR"]
        assert PurePosixPath(sources_dir).is_absolute(), name
        mounts = dict(reversed(mount.split(":")[:2]) for mount in services[name].get("volumes", []))
        assert sources_dir in mounts, f"{name} keeps source files in the container only"
        volumes[name] = mounts[sources_dir]
        # A named volume of the file: not an anonymous one, renewed with the container.
        assert volumes[name] in compose_raw["volumes"], name
    assert volumes["web"] == volumes["worker"]

    # The image makes the folder for its unprivileged user, so a new volume takes its owner.
    runs = " ".join(args for instruction, args in dockerfile_instructions() if instruction == "RUN")
    sources_in_image = PurePosixPath(sources_dir).relative_to(workdir)
    assert f"mkdir -p {sources_in_image}" in runs
    assert re.search(rf"chown registry:registry [^&]*\b{re.escape(str(sources_in_image))}\b", runs)
    # Static files are served from where the image collected them.
    static_root = container_environment(services["web"], COMPOSE_ENV)["DJANGO_STATIC_ROOT"]
    assert PurePosixPath(static_root) == workdir / "var" / "static"


def test_compose_allowed_hosts_default_to_the_published_address(compose):
    for name in APP_SERVICES:
        hosts = compose["services"][name]["environment"]["DJANGO_ALLOWED_HOSTS"].split(",")
        assert "localhost" in hosts, name


def test_compose_secret_key_is_never_written_into_the_file(compose_raw):
    value = compose_raw["x-app"]["environment"]["DJANGO_SECRET_KEY"]
    assert value.startswith("${DJANGO_SECRET_KEY:?")


def test_compose_images_are_postgres_16_and_redis_7_with_volumes(compose_raw):
    services, volumes = compose_raw["services"], compose_raw["volumes"]

    assert re.fullmatch(r"postgres:16(\.\d+)?(-[a-z0-9.]+)?", services["postgres"]["image"])
    assert re.fullmatch(r"redis:7(\.\d+)*(-[a-z0-9.]+)?", services["redis"]["image"])
    postgres_mounts = dict(v.split(":", 1) for v in services["postgres"]["volumes"])
    assert postgres_mounts.get("postgres-data") == "/var/lib/postgresql/data"
    assert "postgres-data" in volumes


def test_compose_app_services_share_the_project_image(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["build"] == ".", name
        assert service["image"] == compose["services"]["web"]["image"], name


def test_compose_web_migrates_then_serves_the_wsgi_application(compose):
    command = command_text(compose["services"]["web"])

    assert "manage.py migrate --noinput" in command
    assert command.index("migrate") < command.index("gunicorn")
    target = re.search(r"gunicorn (\S+)", command)
    assert target is not None
    assert_wsgi_target_exists(target.group(1))


def test_compose_web_port_is_the_one_gunicorn_binds_and_the_check_probes(compose):
    web = compose["services"]["web"]
    bind = re.search(r"--bind 0\.0\.0\.0:(\d+)", command_text(web))
    assert bind is not None
    port = bind.group(1)

    assert f"http://127.0.0.1:{port}/" in health_text(web)
    assert any(str(mapping).endswith(f":{port}") for mapping in web["ports"])


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_compose_celery_commands_name_the_project_app(compose, service):
    import celery.app.utils

    argv = shlex.split(command_text(compose["services"][service]))
    assert argv[:2] == ["celery", "-A"]
    assert argv[3] == service

    # What `celery -A <name>` loads is the app in config/celery_app.py.
    celery_app_module = importlib.import_module("config.celery_app")
    assert celery.app.utils.find_app(argv[2]) is celery_app_module.app


def test_celery_beat_schedule_names_registered_tasks():
    from django.conf import settings

    app = importlib.import_module("config.celery_app").app
    app.loader.import_default_modules()

    assert settings.CELERY_BEAT_SCHEDULE
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def assert_wsgi_target_exists(target: str) -> None:
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    application = getattr(module, attribute or "application")
    assert callable(application)


# ---------------------------------------------------------------------------------------------
# Dockerfile and .dockerignore
# ---------------------------------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text("utf-8")
    logical: list[str] = []
    current = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    pairs = []
    for line in logical:
        instruction, _, arguments = line.strip().partition(" ")
        pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_dockerfile_base_image_is_the_python_the_project_targets():
    images = [args for instruction, args in dockerfile_instructions() if instruction == "FROM"]
    assert images[-1] == "python:3.11-slim"

    project = pyproject()
    assert project["project"]["requires-python"] == ">=3.11"
    assert project["tool"]["mypy"]["python_version"] == "3.11"
    assert project["tool"]["ruff"]["target-version"] == "py311"


def test_dockerfile_runs_as_an_unprivileged_user():
    instructions = dockerfile_instructions()
    users = [
        (i, args) for i, (instruction, args) in enumerate(instructions) if instruction == "USER"
    ]
    assert users, "the image must not run as root"
    index, user = users[-1]
    assert user.split(":")[0] not in ("root", "0")
    created = " ".join(args for instruction, args in instructions if instruction == "RUN")
    assert re.search(rf"useradd\b[^&]*\b{re.escape(user)}\b", created)
    cmd_index = max(i for i, (instruction, _) in enumerate(instructions) if instruction == "CMD")
    assert index < cmd_index


def test_dockerfile_installs_the_project_and_collects_static_files():
    runs = " ".join(args for instruction, args in dockerfile_instructions() if instruction == "RUN")

    assert "pyproject.toml" in runs
    assert "pip install" in runs
    assert "manage.py collectstatic --noinput" in runs


def test_dockerfile_command_serves_the_wsgi_application_on_the_exposed_port(compose):
    instructions = dockerfile_instructions()
    cmd = json.loads([args for instruction, args in instructions if instruction == "CMD"][-1])
    exposed = {args for instruction, args in instructions if instruction == "EXPOSE"}

    assert cmd[0] == "gunicorn"
    assert_wsgi_target_exists(cmd[1])
    bind = cmd[cmd.index("--bind") + 1]
    assert bind.rsplit(":", 1)[1] in exposed
    # docker compose serves the same application on the same address.
    web_command = command_text(compose["services"]["web"])
    assert f"gunicorn {cmd[1]} --bind {bind}" in web_command


def test_image_runtime_dependencies_are_declared_outside_the_dev_extra():
    """The image installs ``project.dependencies`` only: what its commands run must be there."""
    names = {
        re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower()
        for requirement in pyproject()["project"]["dependencies"]
    }
    # gunicorn (web), celery (worker, beat), psycopg (PostgreSQL), redis (beat's health check).
    assert {"gunicorn", "celery", "psycopg", "redis", "django"} <= names


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def is_ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.lstrip("!").lstrip("/").removeprefix("**/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(
            fnmatch.fnmatch(p, glob) or fnmatch.fnmatch(parts[i], glob)
            for i, p in enumerate(prefixes)
        ):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    patterns = dockerignore_patterns()

    for path in [".env", ".venv/bin/python", ".git/HEAD", "var/db.sqlite3", "cases/__pycache__/x"]:
        assert is_ignored(path, patterns), path


def test_dockerignore_keeps_the_demo_app_out_of_the_image():
    """The production settings do not install ``demo``, and its dependency (Faker) is not
    installed in the image: its code is not copied either."""
    assert is_ignored("demo/synthetic.py", dockerignore_patterns())
    assert not any(name.startswith("demo") for name in pyproject_packages())


def pyproject_packages() -> list[str]:
    return list(pyproject()["tool"]["setuptools"]["packages"]["find"]["include"])


def test_dockerignore_keeps_what_the_image_needs():
    patterns = dockerignore_patterns()

    for path in [
        "pyproject.toml",
        "README.md",
        "manage.py",
        "config/wsgi.py",
        "config/settings/base.py",
        "cases/models.py",
        "cases/migrations/0001_initial.py",
        "accounts/models.py",
        "seeds/oblasts.json",
    ]:
        assert not is_ignored(path, patterns), path


# ---------------------------------------------------------------------------------------------
# Makefile: run for real against a stand-in interpreter that logs its arguments
# ---------------------------------------------------------------------------------------------
FAKE_PYTHON = textwrap.dedent(
    """\
    #!/bin/sh
    # Stand-in for python3 and the venv's tools: logs each call; `-m venv DIR` makes a fake venv.
    tool=$(basename "$0")
    echo "$tool DJANGO_DEBUG=${DJANGO_DEBUG:-} DATABASE_URL=${DATABASE_URL:-} $*" >> "$FAKE_LOG"
    if [ "$1" = "-c" ]; then
        [ -z "${FAKE_OLD_PYTHON:-}" ]; exit $?
    fi
    if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
        mkdir -p "$3/bin"
        for tool in python ruff mypy lint-imports; do cp "$0" "$3/bin/$tool"; done
    fi
    if [ "$1" = "-m" ] && [ "$2" = "pip" ] && [ -n "${FAKE_PIP_FAILS:-}" ]; then
        exit 1
    fi
    exit 0
    """
)


@pytest.fixture
def make_project(tmp_path: Path) -> Path:
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'stand-in'\n", "utf-8")
    fake = tmp_path / "fake-python3"
    fake.write_text(FAKE_PYTHON, "utf-8")
    fake.chmod(0o755)
    return tmp_path


def run_make(
    project: Path, *targets: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = project / "calls.log"
    log.unlink(missing_ok=True)
    result = subprocess.run(  # noqa: S603
        [shutil.which("make") or "make", "--no-print-directory", *targets],
        cwd=project,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "FAKE_LOG": str(log),
            "PYTHON": str(project / "fake-python3"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    calls = log.read_text("utf-8").splitlines() if log.exists() else []
    return result, calls


def without_env(call: str) -> str:
    """``python DJANGO_DEBUG=1 DATABASE_URL= manage.py check`` -> ``python manage.py check``."""
    tool, _debug, _database, arguments = call.split(" ", 3)
    return f"{tool} {arguments}"


def test_make_run_on_a_fresh_machine_installs_migrates_seeds_and_serves(make_project):
    result, calls = run_make(make_project, "run")

    assert result.returncode == 0, result.stderr
    assert [without_env(call) for call in calls] == [
        "fake-python3 -c import sys; sys.exit(sys.version_info < (3, 11))",
        "fake-python3 -m venv .venv",
        "python -m pip install --quiet -e .[dev]",
        "python manage.py migrate --noinput",
        "python manage.py load_seeds",
        "python manage.py load_demo --cases 50",
        "python manage.py create_demo_admin",
        "python manage.py create_demo_accounts",
        "python manage.py runserver 127.0.0.1:8000",
    ]
    # Every management command runs as a development instance (built-in key, SQLite).
    assert all(" DJANGO_DEBUG=1 " in call for call in calls if "manage.py" in call)
    assert (make_project / ".venv" / ".installed-dev").is_file()


def test_make_run_reinstalls_only_when_pyproject_changes(make_project):
    run_make(make_project, "install")

    _, calls = run_make(make_project, "run")
    assert not any("venv" in call or "pip" in call for call in calls)

    stamp = make_project / ".venv" / ".installed-dev"
    later = stamp.stat().st_mtime + 10
    os.utime(make_project / "pyproject.toml", (later, later))
    _, calls = run_make(make_project, "test")
    assert [without_env(call) for call in calls if " pip " in call] == [
        "python -m pip install --quiet -e .[dev]"
    ]


def test_make_install_failure_leaves_no_stamp(make_project):
    result, _ = run_make(make_project, "install", FAKE_PIP_FAILS="1")

    assert result.returncode != 0
    assert not (make_project / ".venv" / ".installed-dev").exists()


def test_make_refuses_a_python_older_than_3_11(make_project):
    result, _ = run_make(make_project, "install", FAKE_OLD_PYTHON="1")

    assert result.returncode != 0
    assert "Python 3.11 or newer" in result.stderr
    assert not (make_project / ".venv").exists()


def test_make_run_serves_on_the_port_from_the_environment(make_project):
    _, calls = run_make(make_project, "run", PORT="9123")

    assert calls[-1].endswith("manage.py runserver 127.0.0.1:9123")


def test_make_test_runs_the_whole_suite_with_the_database_from_the_environment(make_project):
    url = "postgres://postgres@127.0.0.1:5432/registry_ci"
    result, calls = run_make(make_project, "test", DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    assert (
        calls[-1] == f"python DJANGO_DEBUG= DATABASE_URL={url} -m pytest --ds=config.settings.test"
        " -m not browser"
    )


def test_make_test_browser_runs_only_the_browser_tests(make_project):
    url = "postgres://postgres@127.0.0.1:5432/registry_ci"
    result, calls = run_make(make_project, "test-browser", DATABASE_URL=url, PYTEST_ARGS="-x")

    assert result.returncode == 0, result.stderr
    assert calls[-1] == (
        f"python DJANGO_DEBUG= DATABASE_URL={url} -m pytest --ds=config.settings.test"
        " -m browser tests/browser -x"
    )


def test_make_test_pg_readies_the_services_then_runs_the_suite_on_them(make_project):
    services = make_project / ".ci" / "services"
    services.parent.mkdir()
    services.write_text(
        '#!/bin/sh\necho "services PG_HOST=$PG_HOST PYTHON=$PYTHON $*" >> "$FAKE_LOG"\n', "utf-8"
    )
    services.chmod(0o755)
    run_make(make_project, "install")

    result, calls = run_make(make_project, "test-pg", PYTEST_ARGS="tests/test_plumbing.py")
    assert result.returncode == 0, result.stderr
    assert calls == [
        "services PG_HOST=127.0.0.1 PYTHON=.venv/bin/python registry_test_local",
        "python DJANGO_DEBUG= DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_test_local"
        " -m pytest --ds=config.settings.test -m not browser tests/test_plumbing.py",
    ]

    _, calls = run_make(make_project, "test-pg", TEST_PG_DATABASE="registry_mine")
    assert calls[0].endswith(" registry_mine")
    assert "DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_mine " in calls[1]


def test_make_check_lints_typechecks_checks_layers_and_migrations(make_project):
    run_make(make_project, "install")
    result, calls = run_make(make_project, "check")

    assert result.returncode == 0, result.stderr
    assert calls == [
        "ruff DJANGO_DEBUG= DATABASE_URL= check .",
        "ruff DJANGO_DEBUG= DATABASE_URL= format --check .",
        "mypy DJANGO_DEBUG= DATABASE_URL= .",
        "lint-imports DJANGO_DEBUG= DATABASE_URL= --no-cache",
        "python DJANGO_DEBUG=1 DATABASE_URL= manage.py makemigrations --check --dry-run",
        "python DJANGO_DEBUG=1 DATABASE_URL= manage.py check",
    ]


def test_make_bench_runs_the_benchmark_at_a_million_cases(make_project):
    run_make(make_project, "install")
    _, calls = run_make(make_project, "bench")
    _, with_args = run_make(make_project, "bench", BENCH_ARGS="--parts api_list --repeat 5")

    assert calls == ["python DJANGO_DEBUG= DATABASE_URL= benchmarks/million.py"]
    assert with_args == [
        "python DJANGO_DEBUG= DATABASE_URL= benchmarks/million.py --parts api_list --repeat 5"
    ]


# ---------------------------------------------------------------------------------------------
# .ci/run
# ---------------------------------------------------------------------------------------------
CI_RUN = ROOT / ".ci" / "run"


def test_ci_run_is_an_executable_strict_bash_script():
    text = CI_RUN.read_text("utf-8")

    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    assert os.access(CI_RUN, os.X_OK)
    subprocess.run(["bash", "-n", str(CI_RUN)], check=True)  # noqa: S603, S607


CI_SERVICES = ROOT / ".ci" / "services"


def test_ci_services_is_an_executable_strict_bash_script():
    text = CI_SERVICES.read_text("utf-8")

    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    assert os.access(CI_SERVICES, os.X_OK)
    subprocess.run(["bash", "-n", str(CI_SERVICES)], check=True)  # noqa: S603, S607


def test_ci_run_starts_the_services_with_the_machine_commands():
    text = CI_SERVICES.read_text("utf-8")

    assert "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" in text
    assert (
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" '
        "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
    ) in text
    assert 'CREATE DATABASE {}").format(sql.Identifier(name))' in text
    # .ci/run makes them ready through the same script, before any test.
    run = CI_RUN.read_text("utf-8")
    assert '.ci/services "$CI_DATABASE"' in run
    assert run.index('.ci/services "$CI_DATABASE"') < run.index('"${MAKE[@]}" test')


def test_ci_run_tests_on_postgresql_and_redis_then_on_sqlite():
    text = CI_RUN.read_text("utf-8")
    check = text.index('"${MAKE[@]}" check')
    on_postgres = text.index(
        'DATABASE_URL="$CI_DATABASE_URL" REDIS_URL="$CI_REDIS_URL" "${MAKE[@]}" test'
    )
    on_sqlite = text.index('(unset DATABASE_URL REDIS_URL; "${MAKE[@]}" test)')

    assert check < on_postgres < on_sqlite
    assert 'CI_DATABASE_URL="postgres://postgres@${PG_HOST}:${PG_PORT}/${CI_DATABASE}"' in text
    assert "CI_DATABASE=registry_ci" in text
    assert 'CI_REDIS_URL="redis://${REDIS_HOST}:${REDIS_PORT}/15"' in text


def test_ci_run_installs_chromium_and_runs_the_browser_tests_last_on_postgresql():
    text = CI_RUN.read_text("utf-8")
    install = text.index("apt-get install -y -qq chromium")
    on_sqlite = text.index('(unset DATABASE_URL REDIS_URL; "${MAKE[@]}" test)')
    browser = text.index(
        'DATABASE_URL="$CI_DATABASE_URL" REDIS_URL="$CI_REDIS_URL" BROWSER_TESTS_REQUIRED=1 '
        '"${MAKE[@]}" test-browser'
    )

    assert install < on_sqlite < browser
    # A machine where Chromium cannot be installed fails the run: the tests are never skipped.
    assert 'die "Chromium could not be installed' in text


def test_dockerfile_runs_every_process_on_the_production_settings():
    """manage.py defaults to the development settings; the image must not."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "DJANGO_SETTINGS_MODULE=config.settings.base" in text


def test_gunicorn_access_log_keeps_no_query_string_or_referrer(compose):
    """Searches carry children's names in the query string; the access log must not."""
    namespace: dict[str, Any] = {}
    exec((ROOT / "config" / "gunicorn.py").read_text(encoding="utf-8"), namespace)  # noqa: S102
    log_format = namespace["access_log_format"]
    assert namespace["accesslog"] == "-"
    assert "%(U)s" in log_format
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%(u)s"):
        assert leaky not in log_format
    assert "--config config/gunicorn.py" in command_text(compose["services"]["web"])
    assert "config/gunicorn.py" in (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_gunicorn_workers_are_threaded_so_a_long_export_is_not_killed_mid_stream():
    from gunicorn.config import Config

    namespace: dict[str, Any] = {}
    exec((ROOT / "config" / "gunicorn.py").read_text(encoding="utf-8"), namespace)  # noqa: S102
    config = Config()
    for name in ("workers", "worker_class", "threads"):
        config.set(name, namespace[name])  # gunicorn refuses a value it does not know
    assert config.worker_class_str == "gthread"
    assert config.threads >= 2

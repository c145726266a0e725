# The production image: the registry served by gunicorn as an unprivileged user. The same image
# runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

# Production settings for every process in the image, manage.py included: they fail closed
# without DJANGO_SECRET_KEY (manage.py alone would default to the development settings).
ENV DJANGO_SETTINGS_MODULE=config.settings.base \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system --gid 10001 registry \
    && useradd --system --uid 10001 --gid registry --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin registry

# Dependencies in their own layer, rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.runtime.txt \
    && pip install -r requirements.runtime.txt \
    && rm requirements.runtime.txt

# The code stays owned by root: the service can read it, not change it. Only var/ (the Celery
# beat schedule) and var/sources (source files; compose mounts a volume there, which takes this
# owner and mode when first created) are writable by the service user. Static files are collected
# at build time; the key given here exists only for that step.
COPY . .
RUN pip install --no-deps -e . \
    && mkdir -p var/sources \
    && DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && chown registry:registry var var/sources \
    && chmod 0750 var/sources

USER registry

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--config", "config/gunicorn.py"]

"""Demo commands' output kept to what they say themselves.

Without a broker (development), tasks run in-process as soon as a transaction commits: making
the demo data runs a few tasks for every case, and each logs a line or two at INFO (the task's
own event, Celery's "succeeded in"). Useful from a worker; while a command makes hundreds of
records they bury the command's own output. Warnings and errors still show.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps


def _task_loggers() -> list[logging.Logger]:
    names = ["celery.app.trace", *(f"{config.name}.tasks" for config in apps.get_app_configs())]
    return [logging.getLogger(name) for name in names]


@contextmanager
def task_logs_quiet() -> Iterator[None]:
    """Raise the task loggers to WARNING while the block runs, then put them back."""
    loggers = _task_loggers()
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)

"""The project's own modules, for tests that look at every one of them (not the libraries of a
virtual environment that may sit inside the checkout)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from django.apps import apps
from django.conf import settings


def project_modules() -> Iterator[ModuleType]:
    """Every module of the project's installed apps, imported; migrations and management
    commands left out."""
    root = Path(settings.BASE_DIR).resolve()
    for app in apps.get_app_configs():
        path = Path(app.path).resolve()
        if not path.is_relative_to(root) or "site-packages" in path.parts:
            continue
        for info in pkgutil.walk_packages([str(path)], prefix=f"{app.name}."):
            if ".migrations" not in info.name and ".management" not in info.name:
                yield importlib.import_module(info.name)

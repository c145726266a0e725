"""Texts the admin shows from Django and its libraries that their own catalogs leave in English.

Never imported: listed with ``gettext_noop`` only so that ``make messages`` extracts them into
the project's catalog. Django looks a message up in the catalogs of ``LOCALE_PATHS`` before
those of the installed apps, so the Ukrainian given there is what these pages show.
"""

from django.utils.translation import gettext_noop

LIBRARY_MESSAGES = (
    # Django's admin (5.2): the column headings of the index's tables, read by screen readers.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # django-axes: the login lockout's records, in the superuser's menu.
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
)

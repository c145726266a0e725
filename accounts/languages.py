"""The interface language of a signed-in user: their own choice, remembered on their account.

``UserLanguageMiddleware`` runs after ``AuthenticationMiddleware`` (and Django's
``LocaleMiddleware``, which has picked the visitor's language from the cookie or
``Accept-Language``): a user who chose a language gets it on every request, whatever the browser
asks for, and the language cookie follows it, so the login page after a logout stays in it. A
user who chose none, and every anonymous visitor, keep the language ``LocaleMiddleware`` chose.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def chosen_language(request: HttpRequest) -> str:
    """The signed-in user's chosen language, or "" (none chosen, or not signed in)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    language = getattr(user, "language", "")
    return language if translation.check_for_language(language) else ""


def remember_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class UserLanguageMiddleware:
    """Speak the language the signed-in user chose (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # After the view: a login made during this request counts, as does a new choice.
        language = chosen_language(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            remember_language_cookie(response, language)
        return response

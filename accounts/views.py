"""The language switch of the admin header: a small form posting here."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from .languages import remember_language_cookie
from .services import user_language_set


@never_cache
@csrf_protect
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: remembered on the account of a signed-in user (every
    later request and sign-in uses it), in the language cookie for anyone; then back to the
    page the form was on."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES) or not translation.check_for_language(language):
        return HttpResponseBadRequest(
            _("Unknown language; choose one of: %(known)s.")
            % {"known": ", ".join(code for code, _name in settings.LANGUAGES)},
            content_type="text/plain; charset=utf-8",
        )
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    translation.activate(language)
    response = HttpResponseRedirect(next_url)
    remember_language_cookie(response, language)
    return response

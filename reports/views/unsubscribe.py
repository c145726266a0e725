"""The unsubscribe page a signed link in every e-mail opens, without signing in.

GET shows what the link stops and a button; it changes nothing, since mail scanners and link
previews fetch the links of a message. POST stops the e-mail: the page's button, or the mail
client's one-click request of RFC 8058 (body ``List-Unsubscribe=One-Click``), which carries no
CSRF token, hence ``csrf_exempt``: the signed token is what proves the request came from the
e-mail. A token that is not one the registry signed is a 400 page that says no more.

The page names the topic and nothing else of the recipient, in the language the e-mail was
written in (the subscription's), whatever the browser's.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User

from ..models import Frequency, Topic
from ..selectors.subscriptions import subscription_language
from ..services.subscriptions import subscription_unsubscribe
from ..unsubscribe import UnsubscribeRequest, unsubscribe_token_read

TEMPLATE = "reports/email/unsubscribe.html"


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, TEMPLATE, {"invalid": True}, status=400)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    asked: UnsubscribeRequest | None = unsubscribe_token_read(token)
    user = User.objects.filter(pk=asked.user_id).first() if asked is not None else None
    if asked is None or user is None:
        return _invalid(request)
    language = subscription_language(user_id=user.pk, topic=asked.topic, frequency=asked.frequency)
    context = {
        "topic": Topic(asked.topic).label,
        "frequency": Frequency(asked.frequency).label,
        "done": False,
    }
    if request.method == "POST":
        subscription_unsubscribe(user=user, topic=asked.topic, frequency=asked.frequency)
        context["done"] = True
    with translation.override(language):
        response = render(request, TEMPLATE, context)
    response.headers["Content-Language"] = language
    return response

"""The API's authentication schemes.

- API keys for partner systems: ``Authorization: Api-Key <prefix>.<secret>``. A valid key
  authenticates as its service account (``request.user``) with the key itself as
  ``request.auth``, so visibility, roles and the audit trail treat systems exactly like people.
- Tokens for people: ``Authorization: Token <key>``, DRF's scheme, with the token and its user
  read by a query compiled once (``accounts.selectors.token_with_user``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from .models import OrganizationAPIKey, User
from .selectors import token_with_user
from .services import api_key_authenticate

KEYWORD = "Api-Key"


class APIKeyAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request: Request) -> tuple[User, OrganizationAPIKey] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() != self.keyword.lower():
            return None
        if len(parts) != 2:  # "Api-Key <key>"
            raise exceptions.AuthenticationFailed(
                _("Invalid API key header: send `Authorization: Api-Key <key>`.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from exc
        api_key = api_key_authenticate(key=key, request=request)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        return api_key.service_account, api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token scheme and answers; the token and its user are read by
    ``token_with_user``."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        token = token_with_user(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token


def request_api_key(request: Any) -> OrganizationAPIKey | None:
    """The API key a DRF request authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, OrganizationAPIKey) else None


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes the API key scheme in the OpenAPI document."""

    target_class = APIKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _("A partner system's key, shown once when made: `Api-Key <prefix>.<secret>`.")
            ),
        }


def request_actor(request: Any) -> User:
    """The signed-in user a request (admin or API) acts as: a person, or an API key's service
    account. The admin and DRF's ``IsAuthenticated`` let only those through; anything else is
    refused rather than passed on to a service as the system."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied
    return user

"""Forms of the accounts admin.

They carry and validate input only. Their ``clean()`` asks the services' own validators
(``organization_validate``, ``membership_validate``, ``api_key_validate``), so a rule has one
home and its message shows next to the field it names; the admin then saves through the
services (``accounts.admin``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.errors import DomainError
from core.forms import add_service_errors, service_error_fields

from . import services
from .models import Membership, Organization, OrganizationAPIKey, User


def _country_choices() -> list[tuple[str, str]]:
    # Called when a form is built, so the names are in the language of the request.
    return [("", "---------"), *((code, str(name)) for code, name in countries)]


class OrganizationAdminForm(forms.ModelForm):
    country = forms.ChoiceField(label=_("country"), choices=_country_choices, required=False)

    class Meta:
        model = Organization
        fields = ("name", "short_name", "kind", "country", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if {"name", "kind"} <= cleaned.keys():
            try:
                cleaned.update(
                    services.organization_validate(
                        name=cleaned["name"],
                        kind=cleaned["kind"],
                        short_name=cleaned.get("short_name", ""),
                        country=cleaned.get("country", ""),
                        organization=self.instance if self.instance.pk else None,
                    )
                )
            except DomainError as exc:
                add_service_errors(self, service_error_fields(exc))
        return cleaned


class MembershipForm(forms.ModelForm):
    """A membership on its own page or as a row of an organization's or a user's page.

    Who and where are fixed once it exists (end it and make another instead); a service
    account's membership follows its API key and is not edited here at all."""

    class Meta:
        model = Membership
        fields = ("user", "organization", "role", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields.get("user")
        if isinstance(user_field, forms.ModelChoiceField):
            user_field.queryset = User.objects.filter(is_service_account=False).order_by("username")
        if self.instance.pk is not None:
            fixed: tuple[str, ...] = ("user", "organization")
            if self.instance.user.is_service_account:
                fixed = (*fixed, "role", "is_active")
            for name in fixed:
                if name in self.fields:
                    self.fields[name].disabled = True

    def member(self) -> User | None:
        user = self.cleaned_data.get("user")
        if user is None and self.instance.user_id is not None:
            user = self.instance.user
        return user if isinstance(user, User) else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user = self.member()
        role = cleaned.get("role")
        if self.has_changed() and user is not None and role:
            try:
                services.membership_validate(user=user, role=role)
            except DomainError as exc:
                add_service_errors(self, service_error_fields(exc))
        return cleaned


class APIKeyAddForm(forms.ModelForm):
    class Meta:
        model = OrganizationAPIKey
        fields = ("organization", "name", "role", "expiry_date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization = self.fields["organization"]
        if isinstance(organization, forms.ModelChoiceField):
            organization.queryset = Organization.objects.filter(is_active=True).order_by("name")
        self.fields["name"].help_text = _(
            "Which system uses the key, so it can be told apart when it is revoked."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "name" in cleaned and "expiry_date" in cleaned:
            try:
                cleaned["name"] = services.api_key_validate(
                    name=cleaned["name"], expires_at=cleaned["expiry_date"]
                )
            except DomainError as exc:
                add_service_errors(self, service_error_fields(exc))
        return cleaned


class APIKeyChangeForm(forms.ModelForm):
    """Only a key's name and expiry change after it is made."""

    class Meta:
        model = OrganizationAPIKey
        fields = ("name", "expiry_date")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "name" in cleaned and "expiry_date" in cleaned:
            try:
                cleaned["name"] = services.api_key_validate(
                    name=cleaned["name"],
                    expires_at=cleaned["expiry_date"],
                    api_key=self.instance,  # still as stored: the form fills it in later
                )
            except DomainError as exc:
                add_service_errors(self, service_error_fields(exc))
        return cleaned

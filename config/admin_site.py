"""The registry's admin site: password and TOTP code at login, first-use enrolment.

The login form always offers the code field. A user with a confirmed device must fill it in; a
user who must use two factors (``accounts.two_factor.two_factor_required``) and has none is not
logged in after the password step but sent to enrol a device, and logged in only once its
first code is confirmed, so no password-only session of theirs exists (not even for the API's
session authentication).
"""

from __future__ import annotations

import time
from typing import Any, cast

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import (
    confirmed_devices,
    enrolment_needed,
    totp_device_confirm,
    totp_device_for_enrolment,
    totp_qr_svg,
    totp_secret_text,
    two_factor_required,
)
from accounts.views import language_switch
from audit.admin_reads import AuditedAutocompleteJsonView
from core.admin import unknown_parameters_refused

from . import admin_home

# The session key of an enrolment in progress: who proved their password, with which device.
ENROLMENT_SESSION_KEY = "registry_2fa_enrolment"
# Time from the password step to the confirmed first code.
ENROLMENT_SECONDS = 15 * 60


class RegistryAdminLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    """Username, password and the code from an authenticator app.

    The code is checked for every user with a confirmed device. With one device (the usual
    case) it is chosen for the user; with several, the form asks which one after the password
    step, as django-otp's own form does.
    """

    otp_device = forms.CharField(required=False, widget=forms.Select)
    otp_token = forms.CharField(
        required=False,
        label=_("Authentication code"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
        help_text=_("The six digits your authenticator app shows, if you use two-factor login."),
    )
    # The name of django-otp's "send me a challenge" button; TOTP devices have none.
    otp_challenge = forms.CharField(required=False)

    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": _("Enter the code your authenticator app shows."),
        "invalid_token": _("That code is not valid. Enter the code your app shows now."),
        "device_required": _("Choose the device that shows your code."),
    }

    def clean(self) -> dict[str, Any]:
        cleaned_data: dict[str, Any] = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned_data
        devices = confirmed_devices(user)
        if not devices:
            # Password only: two factors are optional for this user, or enrolment follows.
            return cleaned_data
        if not cleaned_data.get("otp_device") and len(devices) == 1:
            cleaned_data["otp_device"] = devices[0].persistent_id
        self.clean_otp(user)
        return self.cleaned_data

    @property
    def offers_device_choice(self) -> bool:
        user = self.get_user()
        return user is not None and len(confirmed_devices(user)) > 1


class RegistryLoginView(LoginView):
    """Django's login view, except that a user who must enrol a device is not logged in yet."""

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not enrolment_needed(user):
            return super().form_valid(form)
        device = totp_device_for_enrolment(user=user)
        # A new session key: whatever the session held before the password step stays behind.
        self.request.session.cycle_key()
        self.request.session[ENROLMENT_SESSION_KEY] = {
            "user": user.pk,
            "device": device.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "started": int(time.time()),
        }
        return HttpResponseRedirect(reverse("admin:two_factor_enrol"))


class TwoFactorEnrolForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RegistryAdminSite(AdminSite):
    """``django.contrib.admin.site`` for the registry (see ``config.apps``)."""

    site_header = _("Child Return Registry")
    site_title = _("Child Return Registry")
    index_title = _("Administration")
    login_form = RegistryAdminLoginForm
    login_template = "registry_admin/login.html"
    # The home page by role (``config.admin_home``), with the list of models below it.
    index_template = "registry_admin/home.html"
    # The site has no public pages: no "View site" link leading nowhere.
    site_url = None

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff, verified by a device when two factors are required of them."""
        if not super().has_permission(request):
            return False
        is_verified = getattr(request.user, "is_verified", None)
        if is_verified is not None and is_verified():
            return True
        return not two_factor_required(request.user)

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        # A search through a select box is recorded like a list's (``audit.admin_reads``).
        view = AuditedAutocompleteJsonView.as_view(admin_site=self)
        return cast(HttpResponse, view(request))

    def get_urls(self) -> list[URLResolver | URLPattern]:
        enrol = path(
            "two-factor/enrol/",
            self.two_factor_enrol_view,
            name="two_factor_enrol",
        )
        decide = path(
            "closure-queue/<int:request_id>/decide/",
            self.admin_view(self.closure_decide_view),
            name="home_closure_decide",
        )
        # Open to anyone: the login page switches language too (accounts.views).
        language = path("language/", language_switch, name="language")
        return [enrol, decide, language, *super().get_urls()]

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        refused = unknown_parameters_refused(request)
        if refused is not None:
            return refused
        return super().index(
            request, {"home": admin_home.home_context(request), **(extra_context or {})}
        )

    def closure_decide_view(self, request: HttpRequest, request_id: int) -> HttpResponse:
        return admin_home.closure_decide_view(self, request, request_id)

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """``AdminSite.login`` with the registry's login view (see ``RegistryLoginView``)."""
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context: dict[str, Any] = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        view = RegistryLoginView.as_view(
            extra_context=context,
            authentication_form=self.login_form,
            template_name=self.login_template,
        )
        return view(request)

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def two_factor_enrol_view(self, request: HttpRequest) -> HttpResponse:
        """Show the new device's QR code; confirm it with its first code and log the user in."""
        pending = self._pending_enrolment(request)
        if pending is None:
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
        user, device, state = pending

        form = TwoFactorEnrolForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            if totp_device_confirm(device=device, token=form.cleaned_data["token"]):
                del request.session[ENROLMENT_SESSION_KEY]
                # django-otp marks the session verified by this device on login.
                user.otp_device = device
                auth_login(request, user, backend=state["backend"])
                return HttpResponseRedirect(state["next"])
            form.add_error(
                "token",
                _(
                    "That code is not valid. Check that your phone's clock is right and enter "
                    "the code the app shows now."
                ),
            )

        request.current_app = self.name
        context = {
            **self.each_context(request),
            "title": _("Set up two-factor login"),
            "subtitle": None,
            "form": form,
            "enrolling_username": user.get_username(),
            # segno's SVG is path data built from the device's own URL: nothing to escape.
            "qr_svg": mark_safe(totp_qr_svg(device)),  # noqa: S308
            "secret": totp_secret_text(device),
        }
        return TemplateResponse(request, "registry_admin/two_factor_enrol.html", context)

    @staticmethod
    def _pending_enrolment(request: HttpRequest) -> tuple[Any, TOTPDevice, dict[str, Any]] | None:
        state = request.session.get(ENROLMENT_SESSION_KEY)
        if not isinstance(state, dict) or not isinstance(state.get("user"), int):
            return None
        if time.time() - state.get("started", 0) > ENROLMENT_SECONDS:
            return None
        user = (
            get_user_model().objects.filter(pk=state["user"], is_active=True, is_staff=True)
        ).first()
        if user is None or not enrolment_needed(user):
            return None
        device = TOTPDevice.objects.filter(
            pk=state.get("device"), user=user, confirmed=False
        ).first()
        if device is None:
            return None
        return user, device, state

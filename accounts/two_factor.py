"""Two-factor (TOTP) login for the admin: who must use it, and first-use enrolment.

With ``REQUIRE_2FA`` on (``DJANGO_REQUIRE_2FA``; on unless ``DJANGO_DEBUG``), superusers and
supervisors must give a code from an authenticator app at every admin login; other staff may
enrol and, once enrolled, must give one too. A user who must use two factors and has no
confirmed device enrols right after the password step: the admin shows a QR code for a new
device and confirms it with the first code the app shows. Enrolment is open only while the user
has no confirmed device; a lost phone is handled by an administrator deleting the device in the
admin ("TOTP devices"), after which the user enrols again.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from accounts.selectors import actor_roles
from audit.models import Action as AuditAction
from audit.services import record as audit_record

ENROLMENT_DEVICE_NAME = "Authenticator app"


def two_factor_required(user: Any) -> bool:
    """Whether ``user`` must give a second factor to use the admin."""
    if not settings.REQUIRE_2FA or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or actor_roles(user).has_role(Role.SUPERVISOR)


def confirmed_devices(user: Any) -> list[Any]:
    return list(devices_for_user(user, confirmed=True))


def enrolment_needed(user: Any) -> bool:
    """A user who must use two factors and has no confirmed device yet."""
    return two_factor_required(user) and not confirmed_devices(user)


@transaction.atomic
def totp_device_for_enrolment(*, user: Any) -> TOTPDevice:
    """The unconfirmed device the user is enrolling: the one begun earlier (by the user or an
    administrator) or a new one with a fresh random key."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("id")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=ENROLMENT_DEVICE_NAME, confirmed=False)
        _record(AuditAction.CREATE, device, actor=user, changes={"confirmed": [None, False]})
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm ``device`` if ``token`` is its current code. Returns whether it was confirmed.

    The row is locked so two submissions of the same code cannot both pass; a wrong code counts
    against the device's throttle (django-otp's back-off) like a wrong login code.
    """
    locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if locked.confirmed or not locked.verify_token(token):
        return False
    locked.confirmed = True
    locked.save(update_fields=["confirmed"])
    _record(AuditAction.UPDATE, locked, actor=locked.user, changes={"confirmed": [False, True]})
    device.refresh_from_db()
    return True


def _record(action: str, device: TOTPDevice, *, actor: Any, changes: dict[str, Any]) -> None:
    """An audit event for an enrolment step, with no field values beyond these: a device's key
    is a secret and never goes into the trail."""
    audit_record(
        action,
        actor=actor,
        object_type="otp_totp.totpdevice",
        object_id=str(device.pk),
        object_repr=f"two-factor device #{device.pk} of user #{device.user_id}",
        changes=changes,
    )


def totp_qr_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URL as an inline SVG QR code (no image request, no script)."""
    svg: str = segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff"
    )
    return svg


def totp_secret_text(device: TOTPDevice) -> str:
    """The key in base32, grouped by four, for apps where it is typed in instead."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))

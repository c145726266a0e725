"""Shares: referrals of a case to another organization, and their revocation."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.roles import Capability
from audit import services as audit
from audit.models import Action as AuditAction
from core.checks import raise_field_errors
from core.errors import Conflict, ValidationFailed

from ..models import Case, CaseShare, ShareScope
from .checks import Actor, _full_clean, _lock_case, _require
from .versions import case_touch


@transaction.atomic
def case_share_create(
    *,
    case: Case,
    actor: Actor,
    organization: Organization,
    scope: str,
    reason: str,
    consent_reference: str,
    expires_at: dt.datetime | None = None,
) -> CaseShare:
    """Let another organization read a case, with a scope, a reason and the consent it rests
    on. One live share per organization: change a share by revoking it and sharing anew."""
    locked = _lock_case(case.pk)
    _require(actor, Capability.CASE_SHARE, locked)
    reason = (reason or "").strip()
    consent_reference = (consent_reference or "").strip()
    errors: dict[str, list[str]] = {}
    if organization.pk == locked.organization_id:
        errors["organization"] = [_("The case already belongs to this organization.")]
    elif not organization.is_active:
        errors["organization"] = [_("The organization is inactive.")]
    if scope not in ShareScope.values:
        errors["scope"] = [_("Choose full or limited.")]
    if not reason:
        errors["reason"] = [_("Say why the case is shared.")]
    if not consent_reference:
        errors["consent_reference"] = [_("Name the consent or legal basis of the share.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("Must be in the future.")]
    raise_field_errors(errors)
    if CaseShare.objects.filter(
        case=locked, organization=organization, revoked_at__isnull=True
    ).exists():
        raise Conflict(
            _("The case is already shared with this organization; revoke that share first."),
            code="share_exists",
            fields={"organization": [_("Already shared.")]},
        )
    share = CaseShare(
        case=locked,
        organization=organization,
        scope=scope,
        reason=reason,
        consent_reference=consent_reference,
        expires_at=expires_at,
        created_by=actor,
    )
    _full_clean(share, exclude=["case", "organization", "created_by", "revoked_by"])
    share.save()
    audit.record(
        AuditAction.SHARE, actor=actor, instance=share, changes=audit.creation_changes(share)
    )
    # The organization now sees the case: its next ``updated_since`` sync must list it.
    case_touch(case_id=locked.pk)
    return share


@transaction.atomic
def case_share_revoke(*, share: CaseShare, actor: Actor, reason: str) -> CaseShare:
    """End a share at once. The record stays: who saw the case, and until when, matters."""
    locked = CaseShare.objects.select_for_update().select_related("case").get(pk=share.pk)
    _require(actor, Capability.CASE_SHARE, locked.case)
    if locked.revoked_at is not None:
        raise Conflict(_("The share was already revoked."), code="share_revoked")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", _("Say why the share ends."))
    before = audit.snapshot(locked)
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.revoke_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit.record_update(locked, before, actor=actor, action=AuditAction.REVOKE)
    case_touch(case_id=locked.case_id)
    return locked

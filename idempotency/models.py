"""What an answered POST leaves behind so a retry with the same ``Idempotency-Key`` can be
replayed instead of performed again."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_MAX_LENGTH = 255


class IdempotencyRecordQuerySet(models.QuerySet["IdempotencyRecord"]):
    def expired(self, *, now: dt.datetime | None = None) -> IdempotencyRecordQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())


class IdempotencyRecord(models.Model):
    """One successful answer to one actor's POST under one key.

    The row is inserted before the request's handler runs and completed after it, in the same
    transaction: other connections see it only once it is complete (or never, if the request
    failed), and a second request with the same key waits on the unique index meanwhile.
    The request body is never stored, only a fingerprint of it; the response body is (it is
    what a replay returns) and leaves with the record when it expires.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("actor"),
    )
    key = models.CharField(_("key"), max_length=KEY_MAX_LENGTH)
    fingerprint = models.CharField(
        _("request fingerprint"),
        max_length=64,
        help_text=_("SHA-256 of the method, the path and the canonical JSON body."),
    )
    # Empty only inside the transaction that is performing the request.
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    body = models.JSONField(_("response body"), null=True, blank=True)
    headers = models.JSONField(_("response headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="idempotency_actor_key_unique"),
            # Only successful answers are kept: a failed request leaves nothing to replay.
            models.CheckConstraint(
                condition=Q(status_code__isnull=True)
                | Q(status_code__gte=200, status_code__lte=299),
                name="idempotency_status_code_2xx",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="idempotency_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id}:{self.key}"

    @property
    def is_complete(self) -> bool:
        return self.status_code is not None

"""Which invitation links work, and withdrawing them.

A link is for one person at one address: it works while the person is active and still logs in
with the address it was sent to. Changing a person's login e-mail or deactivating them (users,
users_many) withdraws their open invitations in the same transaction, and accepting checks both
again (invitations), so a link left in an old mailbox never opens the account.
"""

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Invitation


def invitations_working() -> QuerySet[Invitation]:
    """Invitations whose link works: sent, unused, unexpired, not replaced nor withdrawn, for an
    active person still at the address it went to."""
    return Invitation.objects.filter(
        token_hash__isnull=False,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
        user__is_active=True,
        sent_to=F("user__email"),
    )


def invitations_withdraw(*, user_ids: list[int]) -> int:
    """Withdraw the open invitations (queued or sent, not accepted) of these people."""
    return Invitation.objects.filter(
        user_id__in=user_ids, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())


def invitations_after_login_changes(*, changes: list[tuple[int, dict[str, object]]]) -> None:
    """What changing people's logins does to their invitations (users and users_many call it,
    in the transaction that writes the change): ``changes`` holds (person's id, the fields that
    changed, with their new values). A new login e-mail or a deactivation withdraws the person's
    open invitations: a link in the old mailbox must not open the account, nor a reactivation
    bring an old link back."""
    ids = [
        user_id
        for user_id, changed in changes
        if "email" in changed or changed.get("is_active") is False
    ]
    if ids:
        invitations_withdraw(user_ids=ids)

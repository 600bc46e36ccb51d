"""Writes for the tenancy core: brands, stores, team, API keys.

`actor` is required (tenancy.actors): the Membership acting in the dashboard, the
ApiKeyActor of an integrator (an admin's authority), or a named SystemActor for a command.
"""

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from privtraffic.accounts.models import User

from .actors import Actor, actor_has, authorize, require_store
from .errors import ApplicationError
from .models import ApiKey, Brand, IdempotencyRecord, Membership, Store
from .roles import Perm, Role, is_store_scoped, role_can_assign

logger = logging.getLogger(__name__)

API_KEY_PREFIX_BYTES = 6


def _validate(instance, *, exclude=None) -> None:
    """Run field validation and turn it into the one error type, with per-field messages.

    Uniqueness is left to the database (see _save_unique): checking first would race.
    """
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=fields)




def brand_create(
    *, name: str, slug: str, owner: User, time_zone: str = "Asia/Shanghai", default_currency: str = "CNY"
) -> Brand:
    brand = Brand(name=name.strip(), slug=slug.strip().lower(), time_zone=time_zone, default_currency=default_currency)
    _validate(brand)
    try:
        with transaction.atomic():
            brand.save()
            Membership.objects.create(brand=brand, user=owner, role=Role.OWNER)
    except IntegrityError:
        message = _("This address is already taken by another brand.")
        raise ApplicationError("duplicate", message, fields={"slug": [message]}, status=409)
    return brand


def brand_update(*, brand: Brand, actor: Actor, **changes: Any) -> Brand:
    authorize(actor, Perm.MANAGE_SETTINGS, brand, what="brand")
    allowed = {"name", "time_zone", "default_currency", "logo", "color"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError("invalid", _("These fields cannot be changed."), fields={f: ["read only"] for f in unknown})
    for field, value in changes.items():
        setattr(brand, field, value)
    _validate(brand)
    brand.save()
    return brand


def store_create(
    *, brand: Brand, actor: Actor, name: str, address: str = "", city: str = "", postal_code: str = ""
) -> Store:
    authorize(actor, Perm.MANAGE_STORES, brand, what="brand")
    store = Store(brand=brand, name=name.strip(), address=address.strip(), city=city.strip(), postal_code=postal_code.strip())
    _validate(store)
    return _save_unique(store, field="name", message=_("A store with this name already exists."))


def store_update(*, store: Store, actor: Actor, **changes: Any) -> Store:
    authorize(actor, Perm.MANAGE_STORES, store, what="store")
    for field in ("name", "address", "city", "postal_code"):
        if field in changes:
            setattr(store, field, (changes[field] or "").strip())
    _validate(store)
    return _save_unique(store, field="name", message=_("A store with this name already exists."))


def _save_unique(instance, *, field: str, message: str):
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise ApplicationError("duplicate", message, fields={field: [message]}, status=409)
    return instance


def _check_store_for_role(*, brand: Brand, actor: Actor, role: str, store: Store | None) -> Store | None:
    if role not in Role.values:
        raise ApplicationError("invalid", _("Unknown role."), fields={"role": [_("Choose a valid role.")]})
    if is_store_scoped(role):
        if store is None:
            raise ApplicationError("invalid", _("This role needs a store."), fields={"store": [_("Choose a store.")]})
        if store.brand_id != brand.id:
            raise ApplicationError.not_found("store")
        require_store(actor, store.id, message=_("You can only manage people of your own store."))
        return store
    return None


def _check_can_assign(actor: Actor, role: str) -> None:
    authorize(actor, Perm.MANAGE_TEAM)
    if not isinstance(actor, Membership):
        # Integrators and commands may do anything but create or change owners.
        if role == Role.OWNER and not actor_has(actor, Perm.MANAGE_OWNERS):
            raise ApplicationError.forbidden(_("Only an owner can manage owners."))
        return
    if not role_can_assign(actor.role, role):
        raise ApplicationError.forbidden(_("Your role cannot give the role %(role)s.") % {"role": role})


def member_invite(
    *,
    brand: Brand,
    actor: Actor,
    email: str,
    role: str,
    store: Store | None = None,
    name: str = "",
) -> Membership:
    """Add a person to the brand's team and email them; new people get a link to set their password."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError("invalid", _("Enter a valid email address."), fields={"email": [_("Enter a valid email address.")]})
    authorize(actor, None, brand, what="brand")
    _check_can_assign(actor, role)
    store = _check_store_for_role(brand=brand, actor=actor, role=role, store=store)

    with transaction.atomic():
        user, created = User.objects.get_or_create(email=email, defaults={"name": name.strip()})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if Membership.objects.filter(brand=brand, user=user).exists():
            raise ApplicationError(
                "duplicate", _("This person is already on the team."), fields={"email": [_("Already on the team.")]}, status=409
            )
        membership = Membership.objects.create(
            brand=brand, user=user, role=role, store=store, invited_by=actor.user if isinstance(actor, Membership) else None
        )
        transaction.on_commit(lambda: _send_team_invitation(membership=membership, new_user=created))
    return membership


def _send_team_invitation(*, membership: Membership, new_user: bool) -> None:
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.urls import reverse

    user = membership.user
    if new_user:
        path = reverse(
            "account_reset_password_from_key",
            kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
        )
        link = settings.SITE_URL.rstrip("/") + path
    else:
        link = settings.SITE_URL.rstrip("/") + reverse("tenancy:overview", kwargs={"slug": membership.brand.slug})
    context = {"membership": membership, "link": link, "new_user": new_user}
    send_mail(
        subject=_("You have been added to %(brand)s") % {"brand": membership.brand.name},
        message=render_to_string("tenancy/email/team_invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def _record_staff_change(membership: Membership) -> None:
    """Open chat sockets of the brand's staff re-read who may see what (see chats.subscribers)."""
    from privtraffic.events.services import event_record

    event_record(brand=membership.brand, type="staff.updated", payload={
        "membership_id": membership.pk, "user_id": membership.user_id, "role": membership.role,
        "store_id": membership.store_id, "is_active": membership.is_active,
    })


def member_update(
    *, membership: Membership, actor: Actor, role: str, store: Store | None = None
) -> Membership:
    """Change someone's role and store. Owners are managed only by owners, and a brand keeps one owner."""
    brand = membership.brand
    authorize(actor, None, membership, what="team member")
    if membership.role == Role.OWNER or role == Role.OWNER:
        _require_owner(actor)
    _check_can_assign(actor, role)
    if isinstance(actor, Membership) and not role_can_assign(actor.role, membership.role):
        raise ApplicationError.forbidden(_("You cannot change this person's role."))
    store = _check_store_for_role(brand=brand, actor=actor, role=role, store=store)
    with transaction.atomic():
        if membership.role == Role.OWNER and role != Role.OWNER:
            _ensure_another_owner(membership)
        membership.role = role
        membership.store = store
        membership.save(update_fields=["role", "store"])
        _record_staff_change(membership)
    return membership


def member_set_active(*, membership: Membership, actor: Actor, active: bool) -> Membership:
    authorize(actor, None, membership, what="team member")
    if membership.role == Role.OWNER:
        _require_owner(actor)
    _check_can_assign(actor, membership.role)
    if isinstance(actor, Membership) and actor.pk == membership.pk and not active:
        raise ApplicationError("invalid", _("You cannot deactivate yourself."))
    with transaction.atomic():
        if not active and membership.role == Role.OWNER:
            _ensure_another_owner(membership)
        membership.is_active = active
        membership.deactivated_at = None if active else timezone.now()
        membership.save(update_fields=["is_active", "deactivated_at"])
        _record_staff_change(membership)
    return membership


def _require_owner(actor: Actor) -> None:
    if not actor_has(actor, Perm.MANAGE_OWNERS):
        raise ApplicationError.forbidden(_("Only an owner can manage owners."))


def _ensure_another_owner(membership: Membership) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(brand_id=membership.brand_id, role=Role.OWNER, is_active=True)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ApplicationError("last_owner", _("A brand needs at least one active owner."), status=409)


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, brand: Brand, actor: Actor, name: str, created_by: User | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with the full secret, which is never stored or shown again."""
    authorize(actor, Perm.MANAGE_API_KEYS, brand, what="brand")
    name = (name or "").strip()
    if not name:
        raise ApplicationError("invalid", _("Give the key a name."), fields={"name": [_("This field is required.")]})
    prefix = secrets.token_hex(API_KEY_PREFIX_BYTES)
    raw_key = f"pt_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        brand=brand, name=name[:80], prefix=prefix, hashed_key=_hash_key(raw_key),
        created_by=created_by or (actor.user if isinstance(actor, Membership) else None),
    )
    api_key.save()
    return api_key, raw_key


# A revoked key's prefix is marked in the cache (Redis) for this long. The API's process-local key cache
# (tenancy.api_auth, a few seconds) checks the mark on every request in the throttle's round trip, so a revoke
# takes effect at once in every process; the mark only has to outlive those cached entries.
API_KEY_REVOKED_MARK_SECONDS = 300


def api_key_revoked_mark(prefix: str) -> str:
    return f"apikey-revoked:{prefix}"


def api_key_revoke(*, api_key: ApiKey, actor: Actor) -> ApiKey:
    authorize(actor, Perm.MANAGE_API_KEYS, api_key, what="API key")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        # Marked before the commit as well as after it: a request that meanwhile re-reads the (still active) row
        # and caches it sees the mark on its next call and asks PostgreSQL again. A mark left by a rolled-back
        # revoke only sends that key's requests to PostgreSQL until it expires.
        _api_key_mark_revoked(api_key.prefix)
        transaction.on_commit(lambda: _api_key_mark_revoked(api_key.prefix))
    return api_key


def _api_key_mark_revoked(prefix: str) -> None:
    from django.core.cache import cache

    try:
        cache.set(api_key_revoked_mark(prefix), 1, timeout=API_KEY_REVOKED_MARK_SECONDS)
    except Exception:
        # Redis is down: the row is revoked all the same; processes that cached the key serve it until their
        # entry expires (tenancy.api_auth.KEY_CACHE_SECONDS).
        logger.warning("API key %s revoked, but its revoke mark could not be cached", prefix, exc_info=True)


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching raw_key, or None. Touches last_used_at at most once a minute."""
    parts = raw_key.split("_")
    if len(parts) < 3 or parts[0] != "pt":
        return None
    api_key = ApiKey.objects.select_related("brand").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if api_key is None or not secrets.compare_digest(api_key.hashed_key, _hash_key(raw_key)):
        return None
    api_key_touch(api_key=api_key)
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record that the key was used: one UPDATE at most once a minute (per process at most, across processes
    the condition in the statement keeps it to one)."""
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(seconds=60))
        ApiKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def idempotency_record_prune() -> int:
    """Forget Idempotency-Key answers older than the retention window."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)
    deleted, _unused = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted

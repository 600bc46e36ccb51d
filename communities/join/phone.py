"""The phone route of the join flow: a mobile number typed by a customer, read into E.164, and the 6-digit
one-time codes texted to it (kept only as a keyed hash, in the browser's session, like the email codes).

Two counters per NUMBER live in Django's cache (Redis in the full stack), keyed by a keyed hash of the number,
never the number itself: the codes texted to it today (PHONE_CODES_PER_NUMBER_PER_DAY) and the codes tried for
it this hour (PHONE_CODE_MAX_TRIES_PER_HOUR). A try is taken before the code is compared, atomically
(`cache.add` then `cache.incr`), so neither fresh browser sessions nor parallel requests get more guesses.

A number without a country code is read as Chinese (13800138000 -> +8613800138000). Only ASCII digits and
the usual separators are accepted: a full-width or other Unicode digit, a letter or a NUL is refused, never
folded into a number.
"""

import hmac
import re
import secrets
import time

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from crm.customers.phones import phone_e164, phone_parse
from privtraffic.sms import sms_send
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand

DEFAULT_REGION = "CN"
CODE_DIGITS = 6
_TYPED = re.compile(r"\+?[0-9 ()./-]{5,30}", re.ASCII)
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}", re.ASCII)
_SALT = "communities.join.phone-code"
_LIMIT_SALT = "communities.join.phone-limit"
HOUR, DAY = 3600, 24 * 3600


def phone_normalize(value: str) -> str:
    """The E.164 form of a typed mobile number, or ValidationError with a message for the person."""
    value = (value or "").strip()
    if not _TYPED.fullmatch(value):
        raise ValidationError(_("Enter a mobile number with digits only, e.g. 13800138000 or +85291234567."),
                              code="invalid")
    parsed = phone_parse(value, region=DEFAULT_REGION)  # crm's reader, the one the customer fields use
    if parsed is None:
        raise ValidationError(_("This is not a valid mobile number. Check it, or add the country code (+…)."),
                              code="invalid")
    if phonenumbers.number_type(parsed) not in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ValidationError(_("Enter a mobile number: we send the code by text message."), code="not_mobile")
    return phone_e164(parsed)


def phone_display(phone: str) -> str:
    """A proven E.164 number as people read it (+86 138 0013 8000)."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(phone, None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return phone


def code_clean(value: str) -> str:
    """The six digits a person typed (spaces allowed), or ValidationError."""
    value = "".join((value or "").split())
    if not _CODE.fullmatch(value):
        raise ValidationError(_("Enter the 6-digit code from the text message."), code="invalid")
    return value


def _code_hash(phone: str, code: str) -> str:
    # Keyed with SECRET_KEY: six digits hashed without a key would be read back from a leaked session.
    return salted_hmac(_SALT, f"{phone}:{code}").hexdigest()


def phone_code_pending(*, phone: str, code: str, **about) -> dict:
    """What a session keeps while a code is out: the number, the code's keyed hash, when, and the tries."""
    return {**about, "phone": phone, "code": _code_hash(phone, code), "at": time.time(), "tries": 0}


def phone_code_live(pending) -> bool:
    return (isinstance(pending, dict) and isinstance(pending.get("phone"), str)
            and time.time() - pending.get("at", 0) <= settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT)


def phone_code_matches(pending: dict, code: str) -> bool:
    return hmac.compare_digest(_code_hash(pending["phone"], code), pending["code"])


def phone_code_new() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def _number_key(kind: str, phone: str) -> str:
    # A keyed hash: the cache (Redis) never holds the numbers people typed.
    return f"join-phone:{kind}:{salted_hmac(_LIMIT_SALT, phone).hexdigest()}"


def _number_take(kind: str, phone: str, window: int) -> int:
    """Take one from this number's counter of `kind` (a fixed window of `window` seconds from its first use);
    returns the count including this one. Atomic: cache.add creates it, cache.incr counts."""
    key = _number_key(kind, phone)
    for _attempt in range(3):
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:  # it expired between add and incr: a new window
            continue
    return 2 ** 31  # the cache keeps losing the key: refuse rather than count nothing


def phone_code_try(pending: dict, code: str) -> bool:
    """One try of the code texted to `pending["phone"]`: takes one of the number's tries of the hour BEFORE
    comparing (over PHONE_CODE_MAX_TRIES_PER_HOUR: ApplicationError 429, the code is not compared). A right
    code gives the number its tries back."""
    phone = pending["phone"]
    if _number_take("tries", phone, HOUR) > settings.PHONE_CODE_MAX_TRIES_PER_HOUR:
        message = _("Too many wrong codes for this number. Try again later.")
        raise ApplicationError("phone_code_tries", message, status=429, fields={"code": [message]})
    if not phone_code_matches(pending, code):
        return False
    cache.delete(_number_key("tries", phone))
    return True


def phone_code_send(*, phone: str, code: str, brand: Brand, deliver: bool = True) -> None:
    """Text the code, in the language of this request (the customer's), after taking one of the number's
    texts of the day (over PHONE_CODES_PER_NUMBER_PER_DAY: ApplicationError 429). `deliver=False` (a number
    linked to no chat, or to a team login) texts nothing but counts the same, so no page tells them apart.
    ApplicationError if the text cannot go."""
    if _number_take("texts", phone, DAY) > settings.PHONE_CODES_PER_NUMBER_PER_DAY:
        raise ApplicationError("phone_texts_daily",
                               _("Too many codes were sent to this number today. Try again tomorrow."), status=429)
    if not deliver:
        return
    minutes = settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60
    sms_send(to=phone, body=_("%(brand)s: your code is %(code)s. It expires in %(minutes)d minutes. "
                              "Do not share it with anyone.") % {"brand": brand.name, "code": code,
                                                                 "minutes": minutes})

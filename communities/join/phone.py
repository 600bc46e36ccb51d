"""The phone route of the join flow: a mobile number typed by a customer, read into E.164, and the 6-digit
one-time codes texted to it (kept only as a keyed hash, in the browser's session, like the email codes).

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
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from privtraffic.sms import sms_send
from privtraffic.tenancy.models import Brand

DEFAULT_REGION = "CN"
CODE_DIGITS = 6
_TYPED = re.compile(r"\+?[0-9 ()./-]{5,30}", re.ASCII)
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}", re.ASCII)
_SALT = "communities.join.phone-code"


def phone_normalize(value: str) -> str:
    """The E.164 form of a typed mobile number, or ValidationError with a message for the person."""
    value = (value or "").strip()
    if not _TYPED.fullmatch(value):
        raise ValidationError(_("Enter a mobile number with digits only, e.g. 13800138000 or +85291234567."),
                              code="invalid")
    try:
        parsed = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("This is not a valid mobile number. Check it, or add the country code (+…)."),
                              code="invalid")
    if phonenumbers.number_type(parsed) not in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ValidationError(_("Enter a mobile number: we send the code by text message."), code="not_mobile")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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


def phone_code_text(*, phone: str, code: str, brand: Brand) -> None:
    """Text the code, in the language of this request (the customer's). ApplicationError if it cannot go."""
    minutes = settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60
    sms_send(to=phone, body=_("%(brand)s: your code is %(code)s. It expires in %(minutes)d minutes. "
                              "Do not share it with anyone.") % {"brand": brand.name, "code": code,
                                                                 "minutes": minutes})


def phone_unknown_text(*, phone: str, brand: Brand) -> None:
    """What a number linked to no chat gets instead of a code (the page does not tell, so nobody can probe
    which numbers are linked)."""
    sms_send(to=phone, body=_("%(brand)s: someone asked to open a chat with this number, but no chat is "
                              "linked to it. Join from the brand's link instead.") % {"brand": brand.name})

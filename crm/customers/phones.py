"""Phone numbers as the platform keeps them: E.164 (+8613800138000). One reader for every app that takes a
number from outside (the customer fields here, the join flow's phone route in communities)."""

import phonenumbers


def phone_parse(value: str, *, region: str | None = None) -> phonenumbers.PhoneNumber | None:
    """The valid number `value` names, or None. `region` (e.g. "CN") reads a number typed without a country
    code as one of that country; without it the number must start with +country."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def phone_e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

"""Which column is which field: guessing from the header names, resolving and checking a given mapping,
and parsing the API's JSON mapping."""

import json
import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privtraffic.tenancy.errors import ApplicationError

IGNORE = "ignore"
FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "email": gettext_lazy("email"),
    "phone": gettext_lazy("phone"),
    "home_store": gettext_lazy("home store"),
    "consent_chat": gettext_lazy("chat consent"),
    "consent_promotions": gettext_lazy("promotions consent"),
    "tags": gettext_lazy("tags"),
}
FIELDS = tuple(FIELD_LABELS)
MAPPING_CHOICES = [*FIELD_LABELS.items(), (IGNORE, gettext_lazy("ignore this column"))]

# Header names recognised without a mapping (compared lower-case without spaces, "_" or "-").
_ALIASES = {
    "name": ["name", "full name", "customer", "customer name", "姓名", "名字", "客户", "客户姓名", "名称"],
    "email": ["email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址"],
    "phone": ["phone", "mobile", "phone number", "mobile phone", "mobile number", "cell", "tel", "telephone",
              "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话"],
    "home_store": ["home store", "store", "shop", "门店", "所属门店", "店铺"],
    "consent_chat": ["consent chat", "chat consent", "聊天同意", "同意聊天"],
    "consent_promotions": ["consent promotions", "promotions consent", "promotions", "营销同意", "同意营销",
                           "接收促销"],
    "tags": ["tags", "tag", "labels", "标签"],
}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


_ALIAS_KEYS = {_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


def import_mapping_guess(header: list[str]) -> dict[str, str]:
    """{column: field or "ignore"} from the header names; each field goes to its first matching column."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        if not column:
            continue
        guess = _ALIAS_KEYS.get(_key(column), IGNORE)
        if guess != IGNORE and guess in taken:
            guess = IGNORE
        taken.add(guess)
        mapping[column] = guess
    return mapping


def _mapping_error(message: str, *, explicit: bool) -> ApplicationError:
    if explicit:
        return ApplicationError("invalid_mapping", message, fields={"mapping": [message]})
    return ApplicationError("file_missing_columns", message, fields={"file": [message]})


def import_mapping_resolve(header: list[str], mapping: dict[str, str] | None) -> dict[int, str]:
    """Column index -> field. An explicit mapping is complete: columns it does not name are ignored."""
    explicit = mapping is not None
    if mapping is None:
        mapping = import_mapping_guess(header)
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise _mapping_error(_("The mapping must be an object of column name to field."), explicit=True)
    problems = []
    columns: dict[int, str] = {}
    for column, target in mapping.items():
        if column not in header or not column:
            problems.append(_("The file has no column “%(column)s”.") % {"column": column})
        elif target not in FIELDS and target != IGNORE:
            problems.append(_("“%(target)s” is not a field; use one of: %(fields)s.")
                            % {"target": target, "fields": ", ".join([*FIELDS, IGNORE])})
        elif target != IGNORE:
            if target in columns.values():
                problems.append(_("Only one column can go to %(field)s.") % {"field": FIELD_LABELS[target]})
            else:
                columns[header.index(column)] = target
    if problems:
        raise ApplicationError("invalid_mapping", problems[0], fields={"mapping": problems})
    targets = set(columns.values())
    if "name" not in targets or not targets & {"email", "phone"}:
        found = ", ".join(c for c in header if c) or "-"
        if explicit:
            message = _("Map a column to name, and at least one column to email or phone.")
        else:
            message = _("The file needs a name column and an email or phone column (its columns: %(found)s). "
                        "Rename the columns or give a mapping.") % {"found": found}
        raise _mapping_error(message, explicit=explicit)
    return columns



def parse_mapping_json(raw: Any) -> dict[str, str] | None:
    """The API's `mapping`: a JSON object (or its text) of column name -> field."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            message = _("The mapping must be JSON, e.g. {\"Full name\": \"name\", \"Mobile\": \"phone\"}.")
            raise ApplicationError("invalid_mapping", message, fields={"mapping": [message]})
    if not isinstance(raw, dict):
        message = _("The mapping must be an object of column name to field.")
        raise ApplicationError("invalid_mapping", message, fields={"mapping": [message]})
    return raw

"""Forms of the rep inbox: one POST per action on the open conversation."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privtraffic.tenancy.parsing import is_int

from ..models import MAX_BODY_LENGTH

INBOX_FILTERS = ["all", "mine", "unassigned", "store", "groups"]
STATUS_FILTERS = ["open", "snoozed", "resolved", "all"]
MUTE_HOURS = {"1h": 1, "24h": 24}
# The emoji picker: a small fixed set reps use most (no library needed).
EMOJI = ["😊", "😂", "🥰", "😍", "😘", "😉", "🙂", "🤗", "🤔", "😅", "😢", "😮", "🙏", "👍", "👌", "👏", "💪", "🎉",
         "🎁", "✨", "🔥", "💯", "❤️", "💕", "🌸", "🌟", "☀️", "🛍️", "💄", "💅", "🧴", "📦", "🚚", "✅", "⏰", "📍"]
SNOOZE_CHOICES = ["1h", "3h", "tomorrow", "next_week", "until"]


class InboxActionForm(forms.Form):
    """send (the no-JS composer), delete a message, or mute / remove a message's sender in a group."""

    ACTIONS = ["send", "delete", "mute", "remove", "product", "coupon", "survey", "open", "resolve", "snooze",
               "assign", "note", "attach"]

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    body = forms.CharField(required=False, max_length=MAX_BODY_LENGTH, strip=False)
    client_msg_id = forms.CharField(required=False, max_length=64)
    message_id = forms.IntegerField(required=False, min_value=1)
    duration = forms.ChoiceField(choices=[(d, d) for d in MUTE_HOURS], required=False)
    # Cards: the shapes are checked by chats.services.message_send.
    # ASCII digits only (parsing.is_int): an IntegerField would take "١" as 1.
    product_id = forms.CharField(required=False, max_length=20)
    coupon_ref = forms.CharField(required=False, max_length=20)  # a coupon of the brand, in ASCII digits
    coupon_title = forms.CharField(required=False, max_length=120)
    survey_id = forms.IntegerField(required=False, min_value=1)
    # Snooze: a preset, or "until" a time typed in the brand's time zone.
    snooze = forms.ChoiceField(choices=[(c, c) for c in SNOOZE_CHOICES], required=False)
    snooze_until = forms.DateTimeField(required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    rep_id = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    note_body = forms.CharField(required=False, max_length=MAX_BODY_LENGTH, strip=False)
    attachment = forms.FileField(required=False, allow_empty_file=True)
    # Reply as the brand persona instead of oneself (the composer's toggle).
    reply_as = forms.ChoiceField(choices=[("", ""), ("me", "me"), ("persona", "persona")], required=False)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in ("delete", "mute", "remove") and not data.get("message_id"):
            self.add_error("message_id", _("Choose a message."))
        if action == "product":
            if is_int(data.get("product_id") or "", minimum=1):
                data["product_id"] = int(data["product_id"])
            else:
                self.add_error("product_id", _("Choose a product."))
        if action == "coupon":
            if is_int(data.get("coupon_ref", ""), minimum=1):
                data["coupon_ref"] = int(data["coupon_ref"])
            else:
                self.add_error("coupon_ref", _("Choose a coupon."))
        if action == "survey" and not data.get("survey_id"):
            self.add_error("survey_id", _("Choose a survey."))
        if action == "snooze" and not data.get("snooze"):
            self.add_error("snooze", _("Choose how long to snooze."))
        if action == "snooze" and data.get("snooze") == "until" and not data.get("snooze_until"):
            self.add_error("snooze_until", _("Choose a date and time."))
        if action == "attach" and not data.get("attachment"):
            self.add_error("attachment", _("Choose a file."))
        if action == "assign" and not data.get("rep_id"):
            self.add_error("rep_id", _("Choose a rep."))
        if action == "mute" and not data.get("duration"):
            self.add_error("duration", _("Choose how long to mute: 1h or 24h."))
        return data


class QuickReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=80)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
                           help_text=_("You can use {first_name}, {rep_name} and {store_name}."))


def snooze_until_for(choice: str, custom: datetime | None, tz) -> datetime | None:
    """The moment a snooze preset means, in the brand's time zone ("tomorrow" is 09:00 there)."""
    now = timezone.now()
    if choice in ("1h", "3h"):
        return now + timedelta(hours=int(choice[:-1]))
    local = timezone.localtime(now, tz)
    if choice == "tomorrow":
        day = local.date() + timedelta(days=1)
    elif choice == "next_week":
        day = local.date() + timedelta(days=7 - local.weekday())
    else:
        return custom
    return datetime.combine(day, time(9, 0), tzinfo=tz)

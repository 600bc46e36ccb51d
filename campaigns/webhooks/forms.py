from django import forms
from django.utils.translation import gettext_lazy as _

from .catalogue import ALL, EVENT_TYPES
from .targets import MAX_URL_LENGTH


def event_choices() -> list[tuple[str, str]]:
    return [(ALL, _("All events")), *((name, name) for name in EVENT_TYPES)]


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(label=_("Endpoint URL"), max_length=MAX_URL_LENGTH,
                          widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks"}))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=_("Events"), choices=event_choices, widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": _("Choose at least one event.")})

    @classmethod
    def for_endpoint(cls, endpoint, data=None):
        return cls(data=data, initial={"url": endpoint.url, "description": endpoint.description,
                                       "events": endpoint.events}, prefix="edit")

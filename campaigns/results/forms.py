from django import forms
from django.utils.translation import gettext_lazy as _


# The range is the service's (results.services.MAX_ATTRIBUTION_DAYS).
class AttributionForm(forms.Form):
    # Text, not IntegerField: Django's would take "٣" as 3; the service reads it with the one parser (ASCII digits).
    attribution_days = forms.CharField(
        label=_("Attribution window (days)"), max_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", "size": 4}),
        help_text=_("An order counts for the last campaign message the customer received within this many days "
                    "before it (1 to 90)."))

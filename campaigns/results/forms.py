from django import forms
from django.utils.translation import gettext_lazy as _

from .services import MAX_ATTRIBUTION_DAYS


class AttributionForm(forms.Form):
    attribution_days = forms.IntegerField(
        label=_("Attribution window (days)"), min_value=1, max_value=MAX_ATTRIBUTION_DAYS,
        help_text=_("An order counts for the last campaign message the customer received within this many days "
                    "before it."))

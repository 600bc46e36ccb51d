from django import forms
from django.utils.translation import gettext_lazy as _


class ContactPolicyForm(forms.Form):
    quiet_hours_start = forms.TimeField(label=_("Quiet hours start"), widget=forms.TimeInput(attrs={"type": "time"}))
    quiet_hours_end = forms.TimeField(label=_("Quiet hours end"), widget=forms.TimeInput(attrs={"type": "time"}),
                                      help_text=_("In the brand's time zone. Same start and end: no quiet hours."))
    weekly_promotion_budget = forms.IntegerField(
        label=_("Promotional messages per customer per week"), min_value=0, max_value=50,
        help_text=_("Shared by broadcasts, reps' promotional messages and persona messages. "
                    "Order, shipping and reply messages never count."))

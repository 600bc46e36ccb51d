"""The catalogue page's form: text in, crm.products.services decides what is valid and says why, per field."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ProductForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=120)
    price = forms.CharField(label=_("Price"), max_length=16, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                            help_text=_("e.g. 199.00"))
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("ISO code, e.g. CNY"))
    image_url = forms.CharField(label=_("Image link"), max_length=500, required=False,
                                widget=forms.URLInput(attrs={"placeholder": "https://"}))
    url = forms.CharField(label=_("Product page"), max_length=500, required=False,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))
    description = forms.CharField(label=_("Description"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(label=_("Active (offered in the inbox and campaigns)"), required=False,
                                initial=True)

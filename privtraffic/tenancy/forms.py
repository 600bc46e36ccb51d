import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from privtraffic.uploads import clean_image_upload

from .models import Brand, Store
from .roles import Role

_TIME_ZONES = sorted(zoneinfo.available_timezones())


class BrandCreateForm(forms.Form):
    name = forms.CharField(label=_("Brand name"), max_length=120)
    slug = forms.CharField(label=_("Address"), max_length=50, help_text=_("Lowercase letters, digits and hyphens."))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(tz, tz) for tz in _TIME_ZONES], initial="Asia/Shanghai")
    default_currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")


class BrandSettingsForm(forms.Form):
    name = forms.CharField(label=_("Brand name"), max_length=120)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(tz, tz) for tz in _TIME_ZONES])
    default_currency = forms.CharField(label=_("Currency"), max_length=3)
    logo = forms.FileField(label=_("Logo (PNG, JPEG or WebP, up to 1 MB)"), required=False)
    # The accent of the brand's customer pages (join, code, survey, chat).
    color = forms.CharField(label=_("Brand colour"), max_length=7, required=False,
                            widget=forms.TextInput(attrs={"type": "color"}),
                            help_text=_("Buttons and links on the pages your customers see."))

    def clean_logo(self):
        return clean_image_upload(self.cleaned_data.get("logo"))

    @classmethod
    def for_brand(cls, brand: Brand, data=None, files=None):
        initial = {"name": brand.name, "time_zone": brand.time_zone, "default_currency": brand.default_currency,
                   "color": brand.color}
        return cls(data=data, files=files, initial=initial)


class StoreForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)

    @classmethod
    def for_store(cls, store: Store, data=None):
        initial = {f: getattr(store, f) for f in ("name", "address", "city", "postal_code")}
        return cls(data=data, initial=initial)


class _StoreChoiceMixin:
    def _set_store_choices(self, stores, roles):
        self.fields["store"].queryset = stores
        self.fields["role"].choices = [(value, label) for value, label in Role.choices if value in roles]


class MemberInviteForm(_StoreChoiceMixin, forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none(), required=False,
                                   help_text=_("Required for store managers and reps."))

    def __init__(self, *args, stores, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_store_choices(stores, roles)
        # Most people invited are reps: the form starts there, never on the most powerful role.
        if Role.REP in roles:
            self.fields["role"].initial = Role.REP


class MemberRoleForm(_StoreChoiceMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none(), required=False)

    def __init__(self, *args, stores, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_store_choices(stores, roles)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Key name"), max_length=80, help_text=_("Where the key is used, e.g. \"ERP sync\"."))

    def __init__(self, *args, **kwargs):
        # The settings page shows this form beside the brand's (which has a `name` too): ids of its own.
        kwargs.setdefault("auto_id", "id_key_%s")
        super().__init__(*args, **kwargs)

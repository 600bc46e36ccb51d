"""Dashboard forms of the customer profile: tags, attributes, notes, and the tag/attribute admin.

The forms only parse; crm.profile.services decides what is valid (its ApplicationError lands on the form).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import AttributeType
from .services import NOTE_MAX, TAG_NAME_MAX


class CustomerTagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=None, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    new_tags = forms.CharField(label=_("New tags"), required=False, max_length=2000,
                               help_text=_("Comma-separated; tags the brand does not have yet are created."))

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].queryset = tags

    def tag_names(self) -> list[str]:
        """The ticked tags and the typed ones (the service checks and creates them)."""
        typed = [n for n in self.cleaned_data.get("new_tags", "").split(",") if n.strip()]
        return [t.name for t in self.cleaned_data["tags"]] + typed


class CustomerAttributesForm(forms.Form):
    """One field per attribute definition of the brand; an empty field removes the value."""

    def __init__(self, *args, definitions, **kwargs):
        super().__init__(*args, **kwargs)
        self.definitions = list(definitions)
        for d in self.definitions:
            if d.type == AttributeType.CHOICE:
                field = forms.ChoiceField(label=d.label, required=False,
                                          choices=[("", "—"), *[(c, c) for c in d.choices or []]])
            elif d.type == AttributeType.DATE:
                field = forms.CharField(label=d.label, required=False, max_length=10,
                                        widget=forms.DateInput(attrs={"type": "date"}), help_text="YYYY-MM-DD")
            elif d.type == AttributeType.NUMBER:
                field = forms.CharField(label=d.label, required=False, max_length=40,
                                        widget=forms.TextInput(attrs={"inputmode": "decimal"}))
            else:
                field = forms.CharField(label=d.label, required=False, max_length=500)
            self.fields[d.key] = field

    def values(self) -> dict:
        return {d.key: (self.cleaned_data.get(d.key) or None) for d in self.definitions}


class CustomerNoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=TAG_NAME_MAX)
    colour = forms.CharField(label=_("Colour"), max_length=7, initial="#0b7a5a",
                             widget=forms.TextInput(attrs={"type": "color"}))


class AttributeDefinitionForm(forms.Form):
    key = forms.CharField(label=_("Key"), max_length=40, help_text=_("e.g. skin_type (lowercase, digits, - or _)"))
    label = forms.CharField(label=_("Label"), max_length=80, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=AttributeType.choices)
    choices = forms.CharField(label=_("Choices"), required=False, max_length=2000,
                              help_text=_("For a choice attribute: the options, separated by commas."))

    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data.get("choices", "").split(",") if c.strip()]

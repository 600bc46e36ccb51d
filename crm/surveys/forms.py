"""Forms of the survey builder. They only parse; crm.surveys.services decides what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import PersonaAction, PersonaOp, QuestionKind


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    intro = forms.CharField(label=_("Introduction"), max_length=1000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    is_onboarding = forms.BooleanField(label=_("Ask new customers right after they join"), required=False)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=300)
    choices = forms.CharField(label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("One per line, for choice questions."))
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("choices", "").splitlines() if line.strip()]


class RuleForm(forms.Form):
    op = forms.ChoiceField(label=_("When the answer"), choices=PersonaOp.choices, initial=PersonaOp.CHOICE)
    value = forms.CharField(label=_("Value"), max_length=100)
    action = forms.ChoiceField(label=_("Then"), choices=PersonaAction.choices)
    tag_name = forms.CharField(label=_("Tag"), max_length=50, required=False)
    attribute_key = forms.CharField(label=_("Attribute key"), max_length=40, required=False)
    attribute_value = forms.CharField(label=_("Attribute value"), max_length=500, required=False)

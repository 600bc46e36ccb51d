"""Dashboard pages of surveys: the list, the builder and the results.

The builder is one page (GET) and one small view per command (POST): save the details, activate, close,
add / update / delete / move a question, add / delete a rule. Each parses its form, calls one service
and goes back to the builder; a refusal shows the builder again with the form's errors (400) or the
message (the service's status). Question and rule ids in a URL are looked up within the survey (itself
within the brand), so another survey's or brand's id is a 404.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, flash_errors, form_errors
from privtraffic.tenancy.roles import Perm

from ..models import QuestionKind, Survey
from ..profile.selectors import attribute_list
from . import selectors, services
from .forms import QuestionForm, RuleForm, SurveyForm

LIST_LIMIT = 100
# Building surveys and reading their results is marketing work: owners, admins, marketers.
SURVEY_PERM = Perm.MANAGE_CAMPAIGNS


class SurveyListView(BrandView):
    permission = SURVEY_PERM

    def get(self, request):
        return self._render(request, SurveyForm())

    def post(self, request):
        form = SurveyForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                survey = services.survey_create(brand=self.brand, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Survey created. Add its questions."))
                return redirect("crm_surveys:edit", slug=self.brand.slug, survey_id=survey.pk)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        surveys = list(selectors.survey_list(brand=self.brand)[:LIST_LIMIT])
        return render(request, "crm/surveys/list.html", {"surveys": surveys, "form": form, "limit": LIST_LIMIT},
                      status=status)


def builder_render(view: BrandView, request, survey: Survey, *, status: int = 200, survey_form=None,
                   question_form=None, edit_forms=None, rule_forms=None):
    """The builder page, with any bound forms a failed command hands back."""
    survey = selectors.survey_get(brand=view.brand, survey_id=survey.pk)  # fresh after a failed write
    edit_forms, rule_forms = edit_forms or {}, rule_forms or {}
    questions = []
    for q in survey.questions.all():
        questions.append({
            "question": q,
            "edit_form": edit_forms.get(q.pk) or QuestionForm(prefix=f"q{q.pk}", initial={
                "kind": q.kind, "text": q.text, "choices": "\n".join(q.choices), "required": q.required}),
            "rule_form": rule_forms.get(q.pk) or RuleForm(prefix=f"r{q.pk}", initial={
                "op": "choice" if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) else "gt"}),
            "open_edit": q.pk in edit_forms, "open_rule": q.pk in rule_forms,
            "can_have_rules": q.kind != QuestionKind.TEXT,
        })
    context = {
        "survey": survey,
        "questions": questions,
        "survey_form": survey_form or SurveyForm(initial={"title": survey.title, "intro": survey.intro,
                                                          "is_onboarding": survey.is_onboarding}),
        "question_form": question_form or QuestionForm(prefix="new"),
        "attributes": attribute_list(brand=view.brand),
    }
    return render(request, "crm/surveys/edit.html", context, status=status)


class SurveyEditView(BrandView):
    """The builder page; its forms post to the command views below."""

    permission = SURVEY_PERM

    def get(self, request, survey_id):
        return builder_render(self, request, selectors.survey_get(brand=self.brand, survey_id=survey_id))


class _SurveyCommand(BrandView):
    """One builder command: POST only. `anchor` is where on the builder to go back to."""

    permission = SURVEY_PERM
    anchor = ""
    http_method_names = ["post"]

    def post(self, request, survey_id, **ids):
        survey = selectors.survey_get(brand=self.brand, survey_id=survey_id)
        return self.command(request, survey, **ids)

    def command(self, request, survey: Survey, **ids):
        raise NotImplementedError

    def done(self, request, survey: Survey, message: str, anchor: str = ""):
        messages.success(request, message)
        url = reverse("crm_surveys:edit", kwargs={"slug": self.brand.slug, "survey_id": survey.pk})
        anchor = anchor or self.anchor
        return redirect(f"{url}#{anchor}" if anchor else url)

    def run(self, request, survey: Survey, message: str, call, anchor: str = ""):
        """A command without a form: success goes back to the builder, a refusal shows it with the message."""
        with flash_errors(request) as outcome:
            call()
        if outcome.ok:
            return self.done(request, survey, message, anchor)
        return builder_render(self, request, survey, status=outcome.error.status)


class SurveySaveView(_SurveyCommand):
    anchor = "details"

    def command(self, request, survey):
        form = SurveyForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                services.survey_update(survey=survey, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                return self.done(request, survey, _("Survey saved."))
        return builder_render(self, request, survey, status=400, survey_form=form)


class SurveyActivateView(_SurveyCommand):
    def command(self, request, survey):
        return self.run(request, survey, _("The survey is active and takes answers."),
                        lambda: services.survey_activate(survey=survey, actor=self.actor))


class SurveyCloseView(_SurveyCommand):
    def command(self, request, survey):
        return self.run(request, survey, _("The survey is closed. Its results stay."),
                        lambda: services.survey_close(survey=survey, actor=self.actor))


class QuestionAddView(_SurveyCommand):
    anchor = "new-question"

    def command(self, request, survey):
        form = QuestionForm(request.POST, prefix="new")
        if form.is_valid():
            with form_errors(form) as outcome:
                services.question_add(survey=survey, actor=self.actor, kind=form.cleaned_data["kind"],
                                      text=form.cleaned_data["text"], choices=form.choice_list(),
                                      required=form.cleaned_data["required"])
            if outcome.ok:
                return self.done(request, survey, _("Question added."))
        return builder_render(self, request, survey, status=400, question_form=form)


class QuestionUpdateView(_SurveyCommand):
    def command(self, request, survey, question_id):
        question = selectors.question_get(survey=survey, question_id=question_id)
        form = QuestionForm(request.POST, prefix=f"q{question.pk}")
        if form.is_valid():
            with form_errors(form) as outcome:
                services.question_update(question=question, actor=self.actor, kind=form.cleaned_data["kind"],
                                         text=form.cleaned_data["text"], choices=form.choice_list(),
                                         required=form.cleaned_data["required"])
            if outcome.ok:
                return self.done(request, survey, _("Question saved."), f"question-{question.pk}")
        return builder_render(self, request, survey, status=400, edit_forms={question.pk: form})


class QuestionDeleteView(_SurveyCommand):
    anchor = "questions"

    def command(self, request, survey, question_id):
        question = selectors.question_get(survey=survey, question_id=question_id)
        return self.run(request, survey, _("Question deleted."),
                        lambda: services.question_delete(question=question, actor=self.actor))


class QuestionMoveView(_SurveyCommand):
    """Mounted twice: `direction` is "up" or "down" (from the URL)."""

    anchor = "questions"

    def command(self, request, survey, question_id, direction):
        question = selectors.question_get(survey=survey, question_id=question_id)
        return self.run(request, survey, _("Question moved."),
                        lambda: services.question_move(question=question, actor=self.actor, direction=direction))


class RuleAddView(_SurveyCommand):
    def command(self, request, survey, question_id):
        question = selectors.question_get(survey=survey, question_id=question_id)
        form = RuleForm(request.POST, prefix=f"r{question.pk}")
        if form.is_valid():
            with form_errors(form) as outcome:
                services.rule_add(question=question, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                return self.done(request, survey, _("Rule added."), f"question-{question.pk}")
        return builder_render(self, request, survey, status=400, rule_forms={question.pk: form})


class RuleDeleteView(_SurveyCommand):
    def command(self, request, survey, rule_id):
        rule = selectors.rule_get(survey=survey, rule_id=rule_id)
        return self.run(request, survey, _("Rule deleted."),
                        lambda: services.rule_delete(rule=rule, actor=self.actor),
                        f"question-{rule.question_id}")


class SurveyResultsView(BrandView):
    permission = SURVEY_PERM

    def get(self, request, survey_id):
        survey = selectors.survey_get(brand=self.brand, survey_id=survey_id)
        return render(request, "crm/surveys/results.html", {"survey": survey,
                                                            "results": selectors.survey_results(survey=survey)})

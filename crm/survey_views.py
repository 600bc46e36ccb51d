"""Dashboard pages of surveys: the list, the builder (one POST per action) and the results.

Thin: parse a form, call one service, redirect. Question and rule ids in a POST are looked up within
the survey (itself within the brand), so another survey's or brand's id is a 404.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.dashboard import BrandView, form_apply_error, reraise_access
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from .customers import selectors as crm_selectors
from .models import QuestionKind, Survey
from .survey_forms import QuestionForm, RuleForm, SurveyForm
from .surveys import selectors, services

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
            try:
                survey = services.survey_create(brand=self.brand, actor=self.membership, **form.cleaned_data)
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
            else:
                messages.success(request, _("Survey created. Add its questions."))
                return redirect("crm_surveys:edit", slug=self.brand.slug, survey_id=survey.pk)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        surveys = list(selectors.survey_list(brand=self.brand)[:LIST_LIMIT])
        return render(request, "crm/surveys/list.html", {"surveys": surveys, "form": form, "limit": LIST_LIMIT},
                      status=status)


class SurveyEditView(BrandView):
    """The builder. POST `action`: survey, activate, close, question_add, question_edit, question_delete,
    question_up, question_down, rule_add, rule_delete."""

    permission = SURVEY_PERM

    def get(self, request, survey_id):
        survey = selectors.survey_get(brand=self.brand, survey_id=survey_id)
        return self._render(request, survey)

    def post(self, request, survey_id):
        survey = selectors.survey_get(brand=self.brand, survey_id=survey_id)
        action = request.POST.get("action", "")
        handler = getattr(self, f"_do_{action}", None)
        if handler is None:
            messages.error(request, _("Choose what to do."))
            return self._render(request, survey, status=400)
        try:
            done, forms = handler(survey, request.POST)
        except ApplicationError as exc:
            reraise_access(exc)
            return self._render(request, survey, error=exc.message, status=exc.status)
        if done:
            messages.success(request, done)
            return redirect(f"{request.path}#{request.POST.get('anchor', '')}".rstrip("#"))
        return self._render(request, survey, status=400, **forms)

    # --- actions: return (success message, {}) or ("", {form name: bound form with errors}) ---------------

    def _do_survey(self, survey, data):
        form = SurveyForm(data)
        if form.is_valid():
            try:
                services.survey_update(survey=survey, actor=self.membership, **form.cleaned_data)
                return _("Survey saved."), {}
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
        return "", {"survey_form": form}

    def _do_activate(self, survey, data):
        services.survey_activate(survey=survey, actor=self.membership)
        return _("The survey is active and takes answers."), {}

    def _do_close(self, survey, data):
        services.survey_close(survey=survey, actor=self.membership)
        return _("The survey is closed. Its results stay."), {}

    def _do_question_add(self, survey, data):
        form = QuestionForm(data, prefix="new")
        if form.is_valid():
            try:
                services.question_add(survey=survey, actor=self.membership, kind=form.cleaned_data["kind"],
                                      text=form.cleaned_data["text"], choices=form.choice_list(),
                                      required=form.cleaned_data["required"])
                return _("Question added."), {}
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
        return "", {"question_form": form}

    def _question(self, survey, data):
        return selectors.question_get(survey=survey, question_id=_id(data.get("question_id")))

    def _do_question_edit(self, survey, data):
        question = self._question(survey, data)
        form = QuestionForm(data, prefix=f"q{question.pk}")
        if form.is_valid():
            try:
                services.question_update(question=question, actor=self.membership, kind=form.cleaned_data["kind"],
                                         text=form.cleaned_data["text"], choices=form.choice_list(),
                                         required=form.cleaned_data["required"])
                return _("Question saved."), {}
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
        return "", {"edit_forms": {question.pk: form}}

    def _do_question_delete(self, survey, data):
        services.question_delete(question=self._question(survey, data), actor=self.membership)
        return _("Question deleted."), {}

    def _do_question_up(self, survey, data):
        services.question_move(question=self._question(survey, data), actor=self.membership, direction="up")
        return _("Question moved."), {}

    def _do_question_down(self, survey, data):
        services.question_move(question=self._question(survey, data), actor=self.membership, direction="down")
        return _("Question moved."), {}

    def _do_rule_add(self, survey, data):
        question = self._question(survey, data)
        form = RuleForm(data, prefix=f"r{question.pk}")
        if form.is_valid():
            try:
                services.rule_add(question=question, actor=self.membership, **form.cleaned_data)
                return _("Rule added."), {}
            except ApplicationError as exc:
                reraise_access(exc)
                form_apply_error(form, exc)
        return "", {"rule_forms": {question.pk: form}}

    def _do_rule_delete(self, survey, data):
        rule = selectors.rule_get(survey=survey, rule_id=_id(data.get("rule_id")))
        services.rule_delete(rule=rule, actor=self.membership)
        return _("Rule deleted."), {}

    def _render(self, request, survey: Survey, *, error: str = "", status: int = 200, survey_form=None,
                question_form=None, edit_forms=None, rule_forms=None):
        survey = selectors.survey_get(brand=self.brand, survey_id=survey.pk)  # fresh after a failed write
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
            "attributes": crm_selectors.attribute_list(brand=self.brand),
            "error": error,
        }
        return render(request, "crm/surveys/edit.html", context, status=status)


class SurveyResultsView(BrandView):
    permission = SURVEY_PERM

    def get(self, request, survey_id):
        survey = selectors.survey_get(brand=self.brand, survey_id=survey_id)
        return render(request, "crm/surveys/results.html", {"survey": survey,
                                                            "results": selectors.survey_results(survey=survey)})


def _id(raw) -> int:
    """A posted id; anything that is not one is simply not found."""
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise ApplicationError.not_found("object")

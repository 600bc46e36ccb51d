"""The customer's survey page (/s/<id>/): phone-first, one form, a Skip button.

The signed-in person must be a customer of the survey's brand; anyone else gets a 404 (the survey's
existence is not confirmed; CustomerPageView decides). After answering or skipping they go on to `next`
(a local URL only), which the join flow sets to the chat they were joining.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import form_errors
from privtraffic.tenancy.errors import ApplicationError

from ..models import QuestionKind, SurveyStatus
from . import answering, selectors


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: redirect() would read "1" or "home" as a URL name (NoReverseMatch, a 500).
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return reverse("chats:customer_home")


def _answers_from_post(post, questions) -> dict[str, object]:
    answers: dict[str, object] = {}
    for q in questions:
        name = answering.field_name(q.pk)
        answers[str(q.pk)] = post.getlist(name) if q.kind == QuestionKind.MULTIPLE else post.get(name, "")
    return answers


class SurveyTakeView(CustomerPageView):
    def resolve(self, request, *, survey_id, **kwargs) -> CustomerScope:
        found = selectors.survey_for_customer(user=request.user, survey_id=survey_id)
        if found is None:
            raise ApplicationError.not_found("survey")
        survey, customer = found
        return CustomerScope(brand=survey.brand, customer=customer,
                             extra={"survey": survey, "questions": selectors.survey_questions(survey=survey)})

    @property
    def survey(self):
        return self.scope.extra["survey"]

    @property
    def questions(self):
        return self.scope.extra["questions"]

    def get(self, request, **kwargs):
        response = selectors.customer_response(survey=self.survey, customer=self.customer)
        given = selectors.response_answers(response=response) if response and response.completed_at else {}
        return self._render(request, {str(k): v for k, v in given.items()}, answered=bool(given))

    def post(self, request, **kwargs):
        next_url = _next_url(request)
        actor = CustomerActor(self.customer)
        # A refusal shows the answers again with their errors (403/404 propagate: CustomerPageView answers 404).
        with form_errors(None, apply=lambda _form, _exc: None) as outcome:
            if request.POST.get("action") == "skip":
                answering.survey_skip(survey=self.survey, customer=self.customer, actor=actor)
                return redirect(next_url)
            answering.survey_answer_submit(survey=self.survey, customer=self.customer, actor=actor,
                                           answers=_answers_from_post(request.POST, self.questions))
        if not outcome.ok:
            return self._render(request, _answers_from_post(request.POST, self.questions),
                                errors=outcome.error.fields, error=outcome.error.message, status=outcome.error.status)
        messages.success(request, _("Thank you! Your answers were saved."))
        return redirect(next_url)

    def _render(self, request, values, *, errors=None, error="", answered=False, status=200):
        errors = errors or {}
        rows = []
        for q in self.questions:
            value = values.get(str(q.pk))
            rows.append({
                "question": q, "name": answering.field_name(q.pk),
                "value": "" if value is None else value,
                "selected": [str(v) for v in (value if isinstance(value, list) else [value])] if value not in
                            (None, "") else [],
                "errors": errors.get(answering.field_name(q.pk), []),
            })
        context = {"survey": self.survey, "brand": self.survey.brand, "rows": rows, "error": error,
                   "open": self.survey.status == SurveyStatus.ACTIVE, "answered": answered,
                   "next": _next_url(request), "scale": ["1", "2", "3", "4", "5"]}
        return render(request, "crm/surveys/take.html", context, status=status)

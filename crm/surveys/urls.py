"""Survey pages: the builder (one page, one route per command) and results under /b/<slug>/surveys/, and
the customer's page at /s/<id>/. Mounted with `path("", include("crm.surveys.urls"))`."""

from django.urls import path

from . import customer_views, views

app_name = "crm_surveys"

_SURVEY = "b/<slug:slug>/surveys/<int:survey_id>/"
_QUESTION = _SURVEY + "questions/<int:question_id>/"

urlpatterns = [
    path("b/<slug:slug>/surveys/", views.SurveyListView.as_view(), name="list"),
    path(_SURVEY, views.SurveyEditView.as_view(), name="edit"),
    path(_SURVEY + "save/", views.SurveySaveView.as_view(), name="save"),
    path(_SURVEY + "activate/", views.SurveyActivateView.as_view(), name="activate"),
    path(_SURVEY + "close/", views.SurveyCloseView.as_view(), name="close"),
    path(_SURVEY + "questions/add/", views.QuestionAddView.as_view(), name="question_add"),
    path(_QUESTION + "update/", views.QuestionUpdateView.as_view(), name="question_update"),
    path(_QUESTION + "delete/", views.QuestionDeleteView.as_view(), name="question_delete"),
    path(_QUESTION + "up/", views.QuestionMoveView.as_view(), {"direction": "up"}, name="question_up"),
    path(_QUESTION + "down/", views.QuestionMoveView.as_view(), {"direction": "down"}, name="question_down"),
    path(_QUESTION + "rules/add/", views.RuleAddView.as_view(), name="rule_add"),
    path(_SURVEY + "rules/<int:rule_id>/delete/", views.RuleDeleteView.as_view(), name="rule_delete"),
    path(_SURVEY + "results/", views.SurveyResultsView.as_view(), name="results"),
    path("s/<int:survey_id>/", customer_views.SurveyTakeView.as_view(), name="take"),
]

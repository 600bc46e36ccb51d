"""API routes of surveys: include with `path("api/v1/", include("crm.surveys.api_urls"))`."""

from django.urls import path

from . import apis

urlpatterns = [
    path("surveys/", apis.SurveyListApi.as_view(), name="api-surveys"),
    path("surveys/<int:survey_id>/", apis.SurveyDetailApi.as_view(), name="api-survey-detail"),
    path("surveys/<int:survey_id>/results/", apis.SurveyResultsApi.as_view(), name="api-survey-results"),
    path("surveys/<int:survey_id>/responses/", apis.SurveyResponsesApi.as_view(),
         name="api-survey-responses"),
]

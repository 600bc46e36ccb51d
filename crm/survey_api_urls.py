"""API routes of surveys: include with `path("api/v1/", include("crm.survey_api_urls"))`."""

from django.urls import path

from . import survey_apis

urlpatterns = [
    path("surveys/", survey_apis.SurveyListApi.as_view(), name="api-surveys"),
    path("surveys/<int:survey_id>/", survey_apis.SurveyDetailApi.as_view(), name="api-survey-detail"),
    path("surveys/<int:survey_id>/results/", survey_apis.SurveyResultsApi.as_view(), name="api-survey-results"),
    path("surveys/<int:survey_id>/responses/", survey_apis.SurveyResponsesApi.as_view(),
         name="api-survey-responses"),
]

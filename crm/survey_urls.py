"""Survey pages: the builder and results under /b/<slug>/surveys/, and the customer's page at /s/<id>/.
Include with `path("", include("crm.survey_urls"))`."""

from django.urls import path

from . import survey_customer_views, survey_views

app_name = "crm_surveys"

urlpatterns = [
    path("b/<slug:slug>/surveys/", survey_views.SurveyListView.as_view(), name="list"),
    path("b/<slug:slug>/surveys/<int:survey_id>/", survey_views.SurveyEditView.as_view(), name="edit"),
    path("b/<slug:slug>/surveys/<int:survey_id>/results/", survey_views.SurveyResultsView.as_view(),
         name="results"),
    path("s/<int:survey_id>/", survey_customer_views.SurveyTakeView.as_view(), name="take"),
]

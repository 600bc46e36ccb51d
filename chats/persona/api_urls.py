from django.urls import path

from . import apis

urlpatterns = [
    path("persona/", apis.PersonaApi.as_view(), name="api-persona"),
]

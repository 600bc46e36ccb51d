"""/api/v1/ routes of the communities app: the features' API routes."""

from .groups.api_urls import urlpatterns as group_api
from .invites.api_urls import urlpatterns as invite_api

urlpatterns = [*group_api, *invite_api]

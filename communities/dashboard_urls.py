"""Dashboard pages for groups, members and invite links (under /b/<slug>/): the features' routes."""

from .groups.urls import dashboard_urlpatterns as group_pages
from .invites.urls import dashboard_urlpatterns as invite_pages

dashboard_urlpatterns: list = [*group_pages, *invite_pages]

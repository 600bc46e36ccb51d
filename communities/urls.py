"""The communities app's pages: the customer's join flow and the dashboard's groups and invite links."""

from .dashboard_urls import dashboard_urlpatterns
from .join.urls import urlpatterns as join_pages

app_name = "communities"

urlpatterns = [*join_pages, *dashboard_urlpatterns]

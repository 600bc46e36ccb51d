from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    """Staff land on their brand; a `next` URL (such as a join page) wins when present."""

    def get_login_redirect_url(self, request):
        return super().get_login_redirect_url(request) or reverse("tenancy:brand_home")

from django.core.management.base import BaseCommand
from django.db import transaction

from campaigns.demo import seed_campaigns
from chats.demo import seed_conversations
from communities.demo import seed_communities
from crm.demo import seed_onboarding_survey, seed_orders, seed_products
from privtraffic.tenancy.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SLUG, seed_team
from privtraffic.tenancy.models import Brand


class Command(BaseCommand):
    help = "Build the demo brand (slug 'demo') with stores and a team. Skips when it already exists."

    def handle(self, *args, **opts):
        if Brand.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write("Demo brand already exists; nothing to do.")
            return
        with transaction.atomic():
            # Each app adds its part on top of the team as it grows (groups, customers, chats, campaigns).
            team = seed_team()
            communities = seed_communities(team)
            messages = seed_conversations(team, communities["groups"])
            orders = seed_orders(team.brand)
            seed_onboarding_survey(team.brand)
            seed_products(team.brand)
            campaigns = seed_campaigns(team, communities["groups"])
        self.stdout.write(
            f"Created demo brand '{team.brand.name}' with {len(team.stores)} stores, {len(team.reps)} reps, "
            f"{communities['customers']} customers, {len(communities['groups'])} groups and "
            f"{len(communities['invites'])} invite links, {messages} chat messages, {orders} orders, an onboarding survey "
            f"and {campaigns} campaigns."
        )
        first_invite = communities["invites"][0]
        self.stdout.write(f"  Try the join flow: /join/{first_invite.token}/")
        for role, email in DEMO_LOGINS:
            self.stdout.write(f"  {role:14} {email}  password: {DEMO_PASSWORD}")

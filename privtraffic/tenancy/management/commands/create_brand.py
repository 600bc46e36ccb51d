from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from privtraffic.accounts.models import User
from privtraffic.tenancy.actors import SystemActor
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.services import api_key_create, brand_create


class Command(BaseCommand):
    help = "Create a brand and its owner. With --api-key, print API_KEY=<key> (the only time it is shown)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)
        parser.add_argument("--time-zone", default="Asia/Shanghai")
        parser.add_argument("--currency", default="CNY")
        parser.add_argument("--api-key", action="store_true", help="Also create an API key and print it.")

    def handle(self, *args, **opts):
        email = opts["owner_email"].strip().lower()
        try:
            with transaction.atomic():
                owner = User.objects.filter(email=email).first()
                if owner is None:
                    owner = User(email=email)
                    validate_password(opts["owner_password"], owner)
                    owner.set_password(opts["owner_password"])
                    owner.save()
                elif not owner.check_password(opts["owner_password"]):
                    raise CommandError(f"{email} already exists with a different password.")
                EmailAddress.objects.update_or_create(
                    user=owner, email=email, defaults={"verified": True, "primary": True}
                )
                brand = brand_create(
                    name=opts["name"], slug=opts["slug"], owner=owner,
                    time_zone=opts["time_zone"], default_currency=opts["currency"],
                )
                raw_key = None
                if opts["api_key"]:
                    _, raw_key = api_key_create(brand=brand, actor=SystemActor.for_brand(brand, "command:create_brand"),
                                                name="create_brand", created_by=owner)
        except ApplicationError as exc:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip())
        except ValidationError as exc:
            raise CommandError("Owner password: " + " ".join(exc.messages))
        self.stderr.write(f"Created brand {brand.name} ({brand.slug}) owned by {owner.email}.")
        if raw_key:
            self.stdout.write(f"API_KEY={raw_key}")

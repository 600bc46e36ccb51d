"""The campaign as the API shows it and takes it (CONTRACT.md: campaign)."""

from rest_framework import serializers

from chats.models import MAX_BODY_LENGTH
from privtraffic.tenancy.parsing import INT64_MAX

from ..models import Campaign, CampaignChannel, CampaignKind, CardKind, ConfirmMode
from .audience import MAX_AUDIENCE_GROUPS
from .services import MAX_CONFIRM_HOURS

AUDIENCE_HELP = ('Who receives it: {"groups": [ids]} (1..' + str(MAX_AUDIENCE_GROUPS) + ' groups), {"segment": id} '
                 'or {"all": true} (every reachable customer). A group post (channel group) needs groups.')
RECURRENCE_HELP = ('null (one-off), {"days": [0..6, Monday = 0], "time": "HH:MM"} or {"cron": "m h dom mon dow"}, '
                   "read in the brand's time zone.")
SEND_AT_HELP = "When to send (ISO 8601); a time without an offset is read in the brand's time zone."


class CampaignSerializer(serializers.ModelSerializer):
    exclude_segment = serializers.IntegerField(source="exclude_segment_id", allow_null=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "kind", "body", "card_kind", "card_payload", "audience", "exclude_segment",
                  "channel", "confirm_mode", "confirm_hours", "send_at", "recurrence", "next_run_at", "status",
                  "created_at", "updated_at"]
        read_only_fields = fields


class CampaignInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=CampaignKind.choices, required=False)
    body = serializers.CharField(max_length=MAX_BODY_LENGTH,
                                 help_text="The message; {first_name} {rep_name} {store_name} are filled per "
                                           "recipient, any other {variable} is refused (`unknown_variable`).")
    card_kind = serializers.ChoiceField(choices=CardKind.choices, required=False, allow_blank=True)
    card_payload = serializers.DictField(required=False, allow_null=True,
                                         help_text="The card's details (product, coupon, image or survey).")
    audience = serializers.JSONField(help_text=AUDIENCE_HELP)
    exclude_segment = serializers.IntegerField(min_value=1, max_value=INT64_MAX, required=False, allow_null=True,
                                               help_text="Customers in this segment are left out.")
    channel = serializers.ChoiceField(choices=CampaignChannel.choices, required=False)
    confirm_mode = serializers.ChoiceField(choices=ConfirmMode.choices, required=False)
    confirm_hours = serializers.IntegerField(min_value=1, max_value=MAX_CONFIRM_HOURS, required=False)
    send_at = serializers.DateTimeField(required=False, allow_null=True, help_text=SEND_AT_HELP)
    recurrence = serializers.JSONField(required=False, allow_null=True, help_text=RECURRENCE_HELP)


def service_fields(data: dict) -> dict:
    """The validated input in the services' words (exclude_segment -> exclude_segment_id)."""
    fields = dict(data)
    if "exclude_segment" in fields:
        fields["exclude_segment_id"] = fields.pop("exclude_segment")
    return fields


class ScheduleInputSerializer(serializers.Serializer):
    send_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="null: now (or the next occurrence of a recurring campaign); left out: the campaign's own "
                  "send_at. " + SEND_AT_HELP)


class PreviewSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="recipients in the audience (groups for a group post)")
    will_receive = serializers.IntegerField()
    deferred = serializers.IntegerField(help_text="held back by quiet hours, sent when they end")
    skipped = serializers.DictField(child=serializers.IntegerField(),
                                    help_text="reason (no_consent, opted_out, budget, quiet_hours, ...) -> count")
    at = serializers.DateTimeField(help_text="the moment the breakdown is computed for")

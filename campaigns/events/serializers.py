from rest_framework import serializers

from .models import CommunityEvent, Rsvp


class EventSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = CommunityEvent
        fields = ["id", "title", "description", "place", "starts_at", "ends_at", "capacity", "seats_taken",
                  "seats_left", "group", "store", "status", "created_at"]
        read_only_fields = fields


class RsvpSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rsvp
        fields = ["id", "event", "customer", "status", "waitlist_position", "promoted_at", "cancelled_at",
                  "checked_in_at", "created_at"]
        read_only_fields = fields

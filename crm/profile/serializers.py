from rest_framework import serializers

from ..models import AttributeDefinition, CustomerNote, Tag


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "colour", "created_at"]


class TagInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    colour = serializers.CharField(max_length=20, required=False)


class AttributeDefinitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AttributeDefinition
        fields = ["id", "key", "label", "type", "choices", "created_at"]


class AttributeDefinitionInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    type = serializers.CharField(max_length=20)
    choices = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=100)


class CustomerNoteSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = CustomerNote
        fields = ["id", "customer", "author", "author_name", "body", "created_at"]

    def get_author_name(self, note) -> str:
        return note.author.display_name if note.author is not None else ""


class CustomerNoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, max_length=20000)

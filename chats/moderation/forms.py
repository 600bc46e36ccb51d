"""Forms of the moderation pages."""

from django import forms

from ..models import GroupRule


class GroupRuleForm(forms.ModelForm):
    class Meta:
        model = GroupRule
        fields = ["blocked_words", "block_links", "block_images", "flood_limit", "action", "mute_minutes"]
        widgets = {"blocked_words": forms.Textarea(attrs={"rows": 4})}

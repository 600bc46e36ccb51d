"""Thin Celery wrappers for chats; each is safe to run twice."""

from celery import shared_task


@shared_task
def prune_chat_tokens() -> int:
    """Hourly: forget chat tokens that expired or were revoked more than a day ago (only hashes are kept)."""
    from .realtime.tokens import chat_tokens_prune

    return chat_tokens_prune()

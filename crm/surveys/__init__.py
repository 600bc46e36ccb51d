"""Onboarding surveys whose answers become customer personas (tags and attributes)."""

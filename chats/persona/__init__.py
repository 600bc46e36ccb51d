"""The brand persona: a named brand account (name, short bio, avatar) that reps, campaigns and automations speak as."""

"""Segments: saved filters over a brand's customers, built from a registry of condition classes."""

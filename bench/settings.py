"""The benchmark stack's settings: production settings plus the baseline views of bench/urls.py."""

from privtraffic.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

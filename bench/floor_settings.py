"""`make bench`'s server: the portal's settings, with the framework floor's routes mounted beside
the portal's (bench/floor_urls.py). Never used outside the bench."""

from pairing_portal.settings import *  # noqa: F403 - the portal's settings, unchanged

ROOT_URLCONF = "bench.floor_urls"

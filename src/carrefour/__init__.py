"""Carrefour: a crossroads bank for social security.

The hub through which social-security institutions exchange data about people: the register of
self-employed careers (RGTI), the person directory, the automatic distribution of attestations, the
tracking file of every message sent, and the deliberations that decide who may see what.
"""

__version__ = "0.1.0"

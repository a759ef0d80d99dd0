"""Rostra: self-hosted comments and moderation for news sites."""

__version__ = "0.1.0"

"""Rostra: self-hosted discussion, moderation and reader funding for news sites."""

__version__ = "0.1.0"

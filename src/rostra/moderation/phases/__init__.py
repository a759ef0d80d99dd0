"""The moderation phases, one module each, in the order the pipeline runs them.

Each module holds a small frozen config (parsed from the site's ``moderation`` settings, raising
:class:`rostra.moderation.record.PolicyError` on bad values) and the phase itself: a callable that
returns a verdict or ``None`` and writes its scores and facts into the record.
"""

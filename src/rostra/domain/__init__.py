"""The domain: plain dataclasses, enums and rules, with no I/O and no framework imports."""

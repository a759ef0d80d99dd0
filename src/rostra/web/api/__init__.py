"""The JSON API (``/api/v1``), described by an OpenAPI document."""

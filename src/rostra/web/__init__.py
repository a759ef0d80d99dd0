"""The HTTP edge: one route table, the JSON API, server-rendered pages and the embed script."""

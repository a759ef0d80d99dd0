"""The demo site: an invented article with a lively, multilingual discussion under it."""

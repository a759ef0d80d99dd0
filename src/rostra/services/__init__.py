"""Use cases: posting, editing, deleting, voting and reading, over the storage ports."""

"""Server-rendered HTML: the standalone thread page, the embed fragment and the demo site."""

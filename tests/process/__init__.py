"""Tests of ``rostra serve`` as operators run it: real server processes with several workers,
killed with SIGKILL and started again on the same database."""

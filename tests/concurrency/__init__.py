"""Concurrency tests with real processes, on SQLite files and on PostgreSQL."""

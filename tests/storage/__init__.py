"""The storage contract suite: every test runs on SQLite, and on PostgreSQL when configured."""

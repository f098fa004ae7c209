from tests.storage.conftest import db, db_url, engine, pg_url, template  # noqa: F401 - the storage fixtures, each DB

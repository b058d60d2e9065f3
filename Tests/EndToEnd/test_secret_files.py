"""Files that hold secrets are their owner's alone: the SQLite database
AuthGate creates (password hashes) and its instance folder."""
import os
import stat


def test_a_new_sqlite_database_and_its_folder_are_owner_only(make_stack):
    s = make_stack("sqlite")
    assert s.post("/auth/register", json={"username": "modes", "email": "modes@example.com",
                                          "password": "123456"}).status_code == 201
    folder = os.path.join(s.responder.dir, "instance")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in os.listdir(folder):  # db.sqlite and its -wal / -shm files
        assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) & 0o077 == 0, name


def test_a_password_in_the_database_uri_query_is_not_logged(postgres, make_stack):
    name, uri = postgres.new_database()
    secret = "q-secret-" + os.urandom(4).hex()
    # libpq takes the password from the query too; the trust cluster ignores it.
    s = make_stack("postgres", database_uri=f"{uri}?password={secret}")
    assert s.get("/healthz").status_code == 200
    assert secret not in s.responder.log_text()

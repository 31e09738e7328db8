"""/healthz says the process is alive; /readyz says whether the database, the keys and the
schema are ready: 503 while the database is down, 200 as soon as it is back.

The database goes down for real: on PostgreSQL the app's engine reaches the server through a
TCP relay that the test stops and starts (connections cut, port closed); on SQLite the file is
moved away and put back. The engine is otherwise the app's own (pool, pre-ping).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from casemgr.crypto.errors import KeyUnavailable
from casemgr.crypto.keyring import KeyRing
from casemgr.extensions import db


class Relay:
    """A TCP relay on a fixed local port to the database server, that can be stopped."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []

    def start(self) -> None:
        """Listen and relay every connection."""
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen()
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the port and cut every relayed connection, as a server going down would."""
        if self.listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


def engine_like(app, url) -> sa.Engine:
    """An engine with the app's options on another URL."""
    return sa.create_engine(url, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])


@pytest.fixture
def outage(app, database_url, tmp_path, monkeypatch):
    """(take_down, bring_back): the app's database really goes away, then comes back."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        relay = Relay((url.host or "127.0.0.1", url.port or 5432))
        engine = engine_like(app, url.set(host="127.0.0.1", port=relay.port))
        down, back = relay.stop, relay.start
        relay.start()
    else:
        live = tmp_path / "live" / "casemgr.sqlite"
        live.parent.mkdir()
        with sqlite3.connect(url.database) as source, sqlite3.connect(live) as copy:
            source.backup(copy)
        away = tmp_path / "away"
        engine = sa.create_engine(f"sqlite:///{live}", poolclass=NullPool)

        def down() -> None:
            shutil.move(live.parent, away)

        def back() -> None:
            shutil.move(away, live.parent)

        relay = None
    with app.app_context():
        monkeypatch.setitem(db._app_engines[app], None, engine)
    yield down, back
    if relay is not None:
        relay.stop()
    engine.dispose()


def test_readyz_is_503_while_the_database_is_down_and_200_after(app, outage):
    take_down, bring_back = outage
    client = app.test_client()
    assert client.get("/readyz").status_code == 200  # through the relay / on the copy
    for _ in range(2):  # down and back twice: the pool recovers by itself each time
        take_down()
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json == {"status": "unavailable", "failed": ["database", "migrations"]}
        assert client.get("/healthz").status_code == 200  # alive all the same
        bring_back()
        answer = client.get("/readyz")
        assert answer.status_code == 200 and answer.json == {"status": "ready"}


def test_readyz_needs_the_schema_at_head(app, tmp_path, monkeypatch):
    empty = sa.create_engine(f"sqlite:///{Path(tmp_path) / 'empty.sqlite'}", poolclass=NullPool)
    with app.app_context():
        monkeypatch.setitem(db._app_engines[app], None, empty)
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.json["failed"] == ["migrations"]
    with empty.begin() as connection:
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('0001')"))
    assert app.test_client().get("/readyz").json["failed"] == ["migrations"]


def test_readyz_needs_the_keys(app, monkeypatch):
    def no_active_key(ring):
        raise KeyUnavailable("no active master key")

    monkeypatch.setattr(KeyRing, "active_master", property(no_active_key))
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.json["failed"] == ["keys"]

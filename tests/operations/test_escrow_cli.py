"""`keys export-escrow` / `keys import-escrow` with a passphrase, and their refusals."""

from __future__ import annotations

import json

import pytest

from casemgr import create_app
from casemgr.operations import escrow
from tests.dbsetup import fresh_database
from tests.operations.test_restore_drill import close, drill_config, run

PASSPHRASE = "mười hai con giáp 2026 xuân"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setattr(escrow, "SCRYPT_N", 2**12)


def test_passphrase_escrow_restores_the_key_file_and_backup_key(tmp_path):
    host = tmp_path / "host"
    escrow_file = tmp_path / "vault" / "escrow.json"
    escrow_file.parent.mkdir()
    with fresh_database("escrow") as url:
        app = create_app(drill_config(url, host))
        run(app, "backup-key")
        original_keys = json.loads((host / "casemgr.keys").read_text())
        original_backup = json.loads((host / "backup.key").read_text())
        out = run(app, "keys", "export-escrow", str(escrow_file),
                  input=f"{PASSPHRASE}\n{PASSPHRASE}\n").output  # fmt: skip
        assert "escrow written" in out and original_keys["secret_key"] not in out
        assert oct(escrow_file.stat().st_mode & 0o777) == "0o600"
        refused = app.test_cli_runner().invoke(
            args=["casemgr", "keys", "export-escrow", str(tmp_path / "short.json")],
            input="short\nshort\n",
        )
        assert refused.exit_code != 0 and "at least 16 characters" in refused.output
        close(app)
        (host / "casemgr.keys").unlink()
        (host / "backup.key").unlink()

        fresh = create_app(drill_config(url, host))  # a new, unused key file
        wrong = fresh.test_cli_runner().invoke(
            args=["casemgr", "keys", "import-escrow", str(escrow_file)],
            input="not the passphrase at all\n",
        )
        assert wrong.exit_code != 0 and "wrong passphrase or shares" in wrong.output
        run(fresh, "keys", "import-escrow", str(escrow_file), input=f"{PASSPHRASE}\n")
        assert json.loads((host / "casemgr.keys").read_text()) == original_keys
        assert json.loads((host / "backup.key").read_text()) == original_backup
        assert oct((host / "backup.key").stat().st_mode & 0o777) == "0o600"

        close(fresh)

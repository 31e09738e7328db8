"""Password rules and argon2id parameters (SECURITY.md A7)."""

from __future__ import annotations

from argon2 import PasswordHasher

from casemgr.auth.passwords import common_passwords, hash_password, password_problems
from casemgr.config import build_config


def test_length_limits(app):
    with app.test_request_context():
        assert password_problems("a1b2c3d4e5f") != []  # 11 characters
        assert password_problems("a1b2c3d4e5f6") == []  # 12
        long_phrase = "".join(chr(ord("a") + n % 26) for n in range(128))
        assert password_problems(long_phrase) == []  # 128
        assert password_problems(long_phrase + "z") != []  # 129


def test_common_passwords_are_refused_case_insensitively(app):
    assert len(common_passwords()) > 10_000
    with app.test_request_context():
        assert password_problems("Qwerty123456") != []
        assert password_problems("MATKHAU123456") != []
        assert password_problems("aaaaaaaaaaaaaaaa") != []


def test_password_may_not_contain_the_username(app):
    with app.test_request_context():
        assert password_problems("my-name-is-lan.nguyen-ok", "lan.nguyen") != []


def test_production_argon2_parameters_meet_owasp_minimums(tmp_path):
    config = build_config(str(tmp_path))
    assert config["ARGON2_MEMORY_KIB"] >= 19 * 1024
    assert config["ARGON2_TIME_COST"] >= 2
    assert config["ARGON2_PARALLELISM"] >= 1


def test_hashes_are_argon2id(app):
    with app.test_request_context():
        stored = hash_password("a-long-enough-passphrase")
    assert stored.startswith("$argon2id$")
    assert PasswordHasher().verify(stored, "a-long-enough-passphrase")

"""Settings read from the environment and the instance folder; nothing secret lives in the repo."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from casemgr.clock import LOCAL_TZ

ENV_PREFIX = "CASEMGR_"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(ENV_PREFIX + name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(ENV_PREFIX + name)
    return int(value) if value else default


def build_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings for one app: defaults, then environment, then explicit overrides."""
    instance = Path(instance_path)
    config: dict[str, Any] = {
        # Database: the embedded default is a SQLite file in the instance folder.
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            ENV_PREFIX + "DATABASE_URL", f"sqlite:///{instance / 'casemgr.sqlite'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Keys: a JSON key file in the instance folder, or the whole file in an env variable.
        "CASEMGR_KEY_FILE": os.environ.get(ENV_PREFIX + "KEY_FILE", str(instance / "casemgr.keys")),
        "CASEMGR_KEYS_JSON": os.environ.get(ENV_PREFIX + "KEYS"),
        "CASEMGR_AUDIT_CHECKPOINT_DIR": os.environ.get(
            ENV_PREFIX + "AUDIT_CHECKPOINT_DIR", str(instance / "audit-checkpoints")
        ),
        # Languages.
        "BABEL_DEFAULT_LOCALE": "vi",
        # Times shown are in the one clock's zone (casemgr.clock): there is no second setting.
        "BABEL_DEFAULT_TIMEZONE": LOCAL_TZ.key,
        "LANGUAGES": {"vi": "Tiếng Việt", "en": "English"},
        # Sessions: server-side records, idle and absolute limits.
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _env_int("SESSION_ABSOLUTE_HOURS", 12),
        "SESSION_COOKIE_NAME": "casemgr_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SECURE_COOKIES", True),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12)),
        # Sign-in.
        "MFA_REQUIRED_FOR_SOCIAL_WORKERS": _env_bool("MFA_REQUIRED_FOR_SOCIAL_WORKERS", False),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get(
            ENV_PREFIX + "LOGIN_LIMIT_PER_ADDRESS", "20/minute"
        ),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get(
            ENV_PREFIX + "LOGIN_LIMIT_PER_ACCOUNT", "5/minute"
        ),
        "RATELIMIT_STORAGE_URI": os.environ.get(ENV_PREFIX + "RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # argon2id parameters (RFC 9106 low-memory profile; above ASVS/OWASP minimums).
        "ARGON2_TIME_COST": _env_int("ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_KIB": _env_int("ARGON2_MEMORY_KIB", 65536),
        "ARGON2_PARALLELISM": _env_int("ARGON2_PARALLELISM", 4),
        # Forms.
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Request limits (answered with the app's own 413 page): a whole request with its
        # files, and any text: one text field of a multipart form, or a whole body without
        # files (casemgr.web.errors.LimitedRequest). 2 MiB holds the longest form filled in
        # Vietnamese many times over (a 20,000-character note is at most 180 kB encoded).
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        # Assets: Bootstrap is served from the package, never from a CDN.
        "BOOTSTRAP_SERVE_LOCAL": True,
        "PREFERRED_URL_SCHEME": "https",
        "PER_PAGE": 25,
        # Cases.
        "BREAK_GLASS_MINUTES": _env_int("BREAK_GLASS_MINUTES", 60),
        # Referrals: answer period used only when no version of the rule referral.answer is
        # in force (the dated rule is what normally applies).
        "REFERRAL_ANSWER_WORKING_DAYS": _env_int("REFERRAL_ANSWER_WORKING_DAYS", 5),
    }
    config.update(overrides or {})
    return config

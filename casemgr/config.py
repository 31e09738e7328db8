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


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(ENV_PREFIX + name)
    return float(value) if value else default


def _env_list(name: str, default: str) -> list[str]:
    value = os.environ.get(ENV_PREFIX + name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


def pool_options(uri: str) -> dict[str, Any]:
    """Connection pool limits per process: a request waits pool_timeout seconds for a
    connection once pool_size + max_overflow are in use, then is answered 503 "try again"
    (casemgr.web.errors). An in-memory SQLite database has a pool of its own: none apply."""
    if uri.startswith("sqlite") and (":memory:" in uri or uri.rstrip("/") == "sqlite:"):
        return {}
    return {
        "pool_size": _env_int("DB_POOL_SIZE", 5),
        "max_overflow": _env_int("DB_MAX_OVERFLOW", 10),
        "pool_timeout": _env_int("DB_POOL_TIMEOUT", 10),
    }


def session_options(uri: str) -> dict[str, Any]:
    """Per-connection settings of the database server. PostgreSQL: no JIT compilation.

    Its planner compiles a statement whose estimated cost passes jit_above_cost, and the
    estimates of a name search (blind-index terms, subplans) pass it although it runs in
    50 ms: the compilation then took 0.4 s, on every search, at 10^5 persons. JIT serves
    long analytic scans, not the short statements of a web page.
    """
    if uri.startswith("postgresql"):
        return {"connect_args": {"options": "-c jit=off"}}
    return {}


def build_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings for one app: defaults, then environment, then explicit overrides."""
    instance = Path(instance_path)
    config: dict[str, Any] = {
        # Database: the embedded default is a SQLite file in the instance folder.
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            ENV_PREFIX + "DATABASE_URL", f"sqlite:///{instance / 'casemgr.sqlite'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # SQLite: seconds a write waits for the write lock before failing (casemgr.db).
        "CASEMGR_SQLITE_BUSY_TIMEOUT": _env_float("SQLITE_BUSY_TIMEOUT", 30),
        # Keys: a JSON key file in the instance folder, or the whole file in an env variable.
        "CASEMGR_KEY_FILE": os.environ.get(ENV_PREFIX + "KEY_FILE", str(instance / "casemgr.keys")),
        "CASEMGR_KEYS_JSON": os.environ.get(ENV_PREFIX + "KEYS"),
        # Backups are sealed with a key of their own, never one of the data keys (operations).
        "CASEMGR_BACKUP_KEY_FILE": os.environ.get(
            ENV_PREFIX + "BACKUP_KEY_FILE", str(instance / "backup.key")
        ),
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
        # The cookie is written when its content changes (sign-in, a flash, the language), not
        # re-signed on every response: the server-side record holds the idle and absolute
        # limits (auth.sessions); the cookie's own expiry is never the one that governs.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Sign-in.
        "MFA_REQUIRED_FOR_SOCIAL_WORKERS": _env_bool("MFA_REQUIRED_FOR_SOCIAL_WORKERS", False),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get(
            ENV_PREFIX + "LOGIN_LIMIT_PER_ADDRESS", "20/minute"
        ),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get(
            ENV_PREFIX + "LOGIN_LIMIT_PER_ACCOUNT", "5/minute"
        ),
        "RATELIMIT_STORAGE_URI": os.environ.get(ENV_PREFIX + "RATELIMIT_STORAGE_URI", "memory://"),
        # The JSON API: requests per token, on the same limiter store (docs/api.md).
        "API_LIMIT_PER_TOKEN": os.environ.get(ENV_PREFIX + "API_LIMIT_PER_TOKEN", "600/minute"),
        # Intake reports land in a duty queue with 12-hour deadlines: a hotline sends a few an
        # hour, so a runaway or leaked intake token must not flood the queue.
        "API_INTAKE_LIMIT_PER_TOKEN": os.environ.get(
            ENV_PREFIX + "API_INTAKE_LIMIT_PER_TOKEN", "30/hour"
        ),
        "API_REFUSED_LIMIT_PER_ADDRESS": os.environ.get(
            ENV_PREFIX + "API_REFUSED_LIMIT_PER_ADDRESS", "30/minute"
        ),
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
        # Operations (casemgr.ops, docs/deploy.md): logs, metrics, the reverse proxy.
        "CASEMGR_LOG_FORMAT": os.environ.get(ENV_PREFIX + "LOG_FORMAT", "json"),
        "CASEMGR_LOG_LEVEL": os.environ.get(ENV_PREFIX + "LOG_LEVEL", "INFO"),
        "CASEMGR_METRICS_ALLOWED": _env_list("METRICS_ALLOWED", "127.0.0.1/32,::1/128"),
        "CASEMGR_METRICS_TOKEN": os.environ.get(ENV_PREFIX + "METRICS_TOKEN") or None,
        "CASEMGR_TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        # Background work (casemgr.jobs, docs/jobs.md): Redis in production, else a SQLite
        # queue file in the instance folder. Periods of the scheduled duties, in minutes (the
        # checkpoint's is CASEMGR_AUDIT_CHECKPOINT_MINUTES, an audit setting).
        "CASEMGR_REDIS_URL": os.environ.get(ENV_PREFIX + "REDIS_URL") or None,
        "CASEMGR_QUEUE_FILE": os.environ.get(ENV_PREFIX + "QUEUE_FILE") or None,
        "CASEMGR_JOBS_TICK_SECONDS": _env_int("JOBS_TICK_SECONDS", 60),
        "CASEMGR_JOBS_STALE_SECONDS": _env_int("JOBS_STALE_SECONDS", 120),
        "CASEMGR_DUTY_ALERT_SCAN_MINUTES": _env_float("DUTY_ALERT_SCAN_MINUTES", 5),
        "CASEMGR_DUTY_VERIFY_MINUTES": _env_float("DUTY_VERIFY_MINUTES", 24 * 60),
        "CASEMGR_DUTY_REMINDERS_MINUTES": _env_float("DUTY_REMINDERS_MINUTES", 24 * 60),
        "CASEMGR_DUTY_PURGE_MINUTES": _env_float("DUTY_PURGE_MINUTES", 15),
        "CASEMGR_DUTY_END_EXPIRED_MINUTES": _env_float("DUTY_END_EXPIRED_MINUTES", 5),
        "CASEMGR_DUTY_RECOVER_MINUTES": _env_float("DUTY_RECOVER_MINUTES", 1),
        "CASEMGR_DUTY_ANALYZE_MINUTES": _env_float("DUTY_ANALYZE_MINUTES", 24 * 60),
    }
    config.update(overrides or {})
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **pool_options(config["SQLALCHEMY_DATABASE_URI"]),
        **session_options(config["SQLALCHEMY_DATABASE_URI"]),
        **config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    # Tests run jobs at once, in the request, with no queue (casemgr.jobs.queue).
    config.setdefault(
        "CASEMGR_JOBS_IMMEDIATE", _env_bool("JOBS_IMMEDIATE", config.get("TESTING", False))
    )
    # Commits queue a checkpoint after every N audit events (casemgr.audit.autocheckpoint);
    # tests that need it turn it on themselves.
    config.setdefault(
        "CASEMGR_AUDIT_AUTO_CHECKPOINT",
        _env_bool("AUDIT_AUTO_CHECKPOINT", not config.get("TESTING", False)),
    )
    return config

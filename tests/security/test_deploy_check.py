import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check_deploy(**env_overrides):
    # Only what production would have: no test-only switches from this process.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        CORP_BILLING_PROFILE="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="billing.openvoice.example",
        SITE_URL="https://billing.openvoice.example",
    )
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_check_deploy_without_warnings():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_profile_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update(CORP_BILLING_PROFILE="production", ALLOWED_HOSTS="billing.openvoice.example")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_profile_is_flagged_by_check_deploy():
    # The check is real: the development profile (DEBUG on, insecure cookies) fails it.
    result = _check_deploy(CORP_BILLING_PROFILE="development")
    assert result.returncode != 0

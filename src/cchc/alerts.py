"""Alerts to the people who run the platform: an e-mail (SMTP) and a JSON webhook (a chat
channel's incoming hook), in Vietnamese.

Configured by environment variables, off by default (the demo prints where an alert would
have gone):

- ``CCHC_ALERT_SMTP_HOST``, ``CCHC_ALERT_SMTP_PORT`` (default 25), ``CCHC_ALERT_SMTP_USER``,
  ``CCHC_ALERT_SMTP_PASSWORD`` (login only when a user is set), ``CCHC_ALERT_SMTP_STARTTLS``
  (``1`` to upgrade the connection), ``CCHC_ALERT_FROM``, ``CCHC_ALERT_EMAIL_TO``
  (comma-separated);
- ``CCHC_ALERT_WEBHOOK_URL``: receives ``{"subject", "text", "run_url"}`` as a JSON POST.

Standard library SMTP (``smtplib``/``email``) rather than Airflow's SMTP notifier: the
alerts are also sent from the command line, outside any Airflow task, and need no Airflow
connection.
"""

from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import requests

log = logging.getLogger(__name__)


class AlertError(RuntimeError):
    """Every configured channel failed: the message names them."""


@dataclass(frozen=True)
class AlertConfig:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    sender: str = "cchc-pipeline@localhost"
    email_to: tuple[str, ...] = ()
    webhook_url: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_env(cls) -> AlertConfig:
        env = os.environ
        return cls(
            smtp_host=env.get("CCHC_ALERT_SMTP_HOST") or None,
            smtp_port=int(env.get("CCHC_ALERT_SMTP_PORT", "25")),
            smtp_user=env.get("CCHC_ALERT_SMTP_USER") or None,
            smtp_password=env.get("CCHC_ALERT_SMTP_PASSWORD") or None,
            smtp_starttls=env.get("CCHC_ALERT_SMTP_STARTTLS", "0") == "1",
            sender=env.get("CCHC_ALERT_FROM") or cls.sender,
            email_to=tuple(a.strip() for a in env.get("CCHC_ALERT_EMAIL_TO", "").split(",") if a.strip()),
            webhook_url=env.get("CCHC_ALERT_WEBHOOK_URL") or None,
        )

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.email_to)


def describe_channels(config: AlertConfig | None = None) -> str:
    """Where alerts go, in one line (the demo prints it)."""
    config = config or AlertConfig.from_env()
    email = (f"e-mail {', '.join(config.email_to)} qua {config.smtp_host}:{config.smtp_port}" if config.email_enabled
             else "e-mail: tắt (đặt CCHC_ALERT_SMTP_HOST, CCHC_ALERT_EMAIL_TO)")
    webhook = (f"webhook {config.webhook_url}" if config.webhook_url
               else "webhook: tắt (đặt CCHC_ALERT_WEBHOOK_URL)")
    return f"{email}; {webhook}; khi tắt, nội dung cảnh báo được ghi vào log của tác vụ 'report'"


def send_alert(subject_vi: str, body_vi: str, *, run_url: str | None = None,
               config: AlertConfig | None = None) -> list[str]:
    """Send one alert on every configured channel; returns the channels used ("email",
    "webhook"). With none configured it only logs where the alert would go and returns [].
    Raises AlertError when every configured channel failed (one failing channel is logged
    and the others still get the alert)."""
    config = config or AlertConfig.from_env()
    text = body_vi + (f"\n\nXem lượt chạy: {run_url}" if run_url else "")
    senders = []
    if config.email_enabled:
        senders.append(("email", lambda: _send_email(config, subject_vi, text)))
    else:
        log.warning("Cảnh báo không gửi e-mail (chưa đặt CCHC_ALERT_SMTP_HOST và CCHC_ALERT_EMAIL_TO): %s",
                    subject_vi)
    if config.webhook_url:
        senders.append(("webhook", lambda: _post_webhook(config, subject_vi, text, run_url)))
    else:
        log.warning("Cảnh báo không gửi webhook (chưa đặt CCHC_ALERT_WEBHOOK_URL): %s", subject_vi)
    if not senders:
        log.warning("Nội dung cảnh báo:\n%s\n%s", subject_vi, text)
        return []
    used, errors = [], []
    for name, send in senders:
        try:
            send()
            used.append(name)
        except (OSError, smtplib.SMTPException, requests.RequestException) as exc:
            log.error("alert channel %s failed: %s", name, exc)
            errors.append(f"{name}: {exc}")
    if not used:
        raise AlertError("no alert channel worked: " + "; ".join(errors))
    log.info("alert sent via %s: %s", ", ".join(used), subject_vi)
    return used


def _send_email(config: AlertConfig, subject: str, text: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.sender
    message["To"] = ", ".join(config.email_to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="cchc")
    message.set_content(text, charset="utf-8")
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password or "")
        smtp.send_message(message)


def _post_webhook(config: AlertConfig, subject: str, text: str, run_url: str | None) -> None:
    response = requests.post(config.webhook_url, json={"subject": subject, "text": text, "run_url": run_url},
                             timeout=config.timeout)
    response.raise_for_status()

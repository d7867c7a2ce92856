"""Alerts over a real local SMTP server and a real HTTP receiver."""

from __future__ import annotations

import logging
import unicodedata

import pytest
from conftest import free_port

from cchc.alerts import AlertConfig, AlertError, send_alert

SUBJECT = "[CCHC] Lỗi pipeline hằng đêm ngày 16/08/2025: Trích xuất nguồn oss"
BODY = "Bước lỗi: Trích xuất nguồn oss (extract_oss)\nĐơn vị liên quan: Phường Thành Sen (2025:18073)"


def test_alert_goes_to_email_and_webhook_in_vietnamese(alert_receivers, monkeypatch):
    for name, value in alert_receivers.env.items():
        monkeypatch.setenv(name, value)
    url = "http://localhost:8080/dags/cchc_nightly/runs/manual__2025"
    assert send_alert(SUBJECT, BODY, run_url=url) == ["email", "webhook"]

    [mail] = alert_receivers.emails
    assert mail["Subject"] == SUBJECT
    assert mail["To"] == "ops@cchc.test, lead@cchc.test"
    text = mail.get_content().replace("\r\n", "\n")  # SMTP line endings
    assert BODY in text and url in text
    assert unicodedata.is_normalized("NFC", text)
    [post] = alert_receivers.posts
    assert post["subject"] == SUBJECT and post["run_url"] == url
    assert BODY in post["text"] and url in post["text"]


def test_without_configuration_it_only_logs_where_the_alert_would_go(monkeypatch, caplog):
    for name in ("CCHC_ALERT_SMTP_HOST", "CCHC_ALERT_EMAIL_TO", "CCHC_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING, logger="cchc.alerts"):
        assert send_alert(SUBJECT, BODY) == []
    assert "CCHC_ALERT_SMTP_HOST" in caplog.text and "CCHC_ALERT_WEBHOOK_URL" in caplog.text
    assert SUBJECT in caplog.text


def test_one_broken_channel_does_not_stop_the_other(alert_receivers):
    dead_smtp = AlertConfig(smtp_host="127.0.0.1", smtp_port=free_port(), email_to=("ops@cchc.test",),
                            webhook_url=alert_receivers.env["CCHC_ALERT_WEBHOOK_URL"], timeout=5)
    assert send_alert(SUBJECT, BODY, config=dead_smtp) == ["webhook"]
    assert len(alert_receivers.posts) == 1 and not alert_receivers.emails
    nothing_works = AlertConfig(webhook_url=f"http://127.0.0.1:{free_port()}/hook", timeout=5)
    with pytest.raises(AlertError, match="webhook"):
        send_alert(SUBJECT, BODY, config=nothing_works)

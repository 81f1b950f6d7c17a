"""A register reports its fiscal drive's queue to the OFD, and the point's Devices page warns before the
30-day rule stops it (the drive forms no receipt once a document has waited for the OFD 30 days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


def report(register, **status):
    return register.client.patch("/api/device/v1/me", json=status, headers={"Authorization": f"Bearer {register.token}"})


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def devices_page(owner, point) -> str:
    return owner.get(f"/points/{point['id']}/devices").text


def test_a_register_whose_documents_wait_for_the_ofd_is_shown_with_a_warning(owner, api, point, bound_register):
    # given a register whose drive holds three documents, the oldest from 27 days ago, last heard from the OFD yesterday
    response = report(bound_register, unsent_documents=3, oldest_unsent_at=ago(27.5), last_ofd_exchange_at=ago(1))
    assert response.status_code == 200, response.text
    # when the owner opens the point's registers, then the queue and a warning with the days left are shown
    page = devices_page(owner, point)
    assert "3 not sent, the oldest of" in page
    assert "The register stops selling in 2 days unless it reaches the OFD" in page
    assert "Last exchange:" in page
    # and the JSON API tells the same
    (device,) = api.get(f"/api/v1/points/{point['id']}/devices").json()
    assert device["unsent_documents"] == 3 and device["oldest_unsent_at"] and device["last_ofd_exchange_at"]


def test_a_register_past_thirty_days_is_shown_as_stopped(owner, point, bound_register):
    assert report(bound_register, unsent_documents=1, oldest_unsent_at=ago(31)).status_code == 200
    assert "The register cannot sell: its documents have waited for the OFD for 30 days" in devices_page(owner, point)


def test_a_register_that_sent_everything_shows_no_warning(owner, api, point, bound_register):
    # given a register that had documents waiting
    assert report(bound_register, unsent_documents=2, oldest_unsent_at=ago(29)).status_code == 200
    # when it reports that the OFD acknowledged them all
    assert report(bound_register, unsent_documents=0, last_ofd_exchange_at=ago(0)).status_code == 200
    # then the page says all is sent, with no warning, and the oldest date is gone
    page = devices_page(owner, point)
    assert "All sent" in page and "stops selling" not in page and "cannot sell" not in page
    assert api.get(f"/api/v1/points/{point['id']}/devices").json()[0]["oldest_unsent_at"] is None


def test_a_register_with_few_days_waiting_is_not_warned_about(owner, point, bound_register):
    assert report(bound_register, unsent_documents=5, oldest_unsent_at=ago(2)).status_code == 200
    page = devices_page(owner, point)
    assert "5 not sent" in page and "stops selling" not in page


@pytest.mark.parametrize(("status", "field"), [
    ({"unsent_documents": -1}, "unsent_documents"),
    ({"unsent_documents": 3}, "__all__"),  # how old the oldest is, is what matters
    ({"unsent_documents": 1, "oldest_unsent_at": "2026-11-01T10:00:00"}, "oldest_unsent_at"),  # no time zone
    ({"last_ofd_exchange_at": "yesterday"}, "last_ofd_exchange_at"),
])
def test_a_bad_report_is_refused_naming_the_field_and_changes_nothing(api, point, bound_register, status, field):
    response = report(bound_register, **status)
    assert response.status_code == 422 and field in response.json()["error"]["fields"], response.text
    assert api.get(f"/api/v1/points/{point['id']}/devices").json()[0]["unsent_documents"] == 0

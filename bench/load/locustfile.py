"""Mixed journeys of the three roles for the load test (run by bench/load/__main__.py).

Social workers register a person and open a case, read case and person pages, add notes, edit
cases and search; supervisors approve plans and watch their dashboards; auditors search the
audit log. Two simulated workers share each worker account (two sessions) and edit the same
cases, so concurrent saves meet the optimistic lock. Every read's request id, every edit's
and approval (and its outcome) is written to BENCH_LOAD_RECORD at the end for the post-checks.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re

import pyotp
from locust import FastHttpUser, between, events, task

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
PASSWORD = PLAN["password"]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')
RECORD: dict[str, list] = {"reads": [], "changes": [], "registrations": [], "timings": []}
_worker_slots = itertools.count()
_supervisor_slots = itertools.count()
_auditor_slots = itertools.count()
_serial = itertools.count(1)


@events.request.add_listener
def _time(request_type: str, name: str, response_time: float, start_time: float = 0.0, **_kw):
    """Every request's start and duration, so the steady state can be told from the sign-ins."""
    RECORD["timings"].append([request_type, name, start_time, response_time])


@events.test_stop.add_listener
def _write_record(**_kwargs) -> None:
    with open(os.environ["BENCH_LOAD_RECORD"], "w", encoding="utf-8") as handle:
        json.dump(RECORD, handle)


class Journey(FastHttpUser):
    """Sign-in through the real forms; helpers for forms and checked responses."""

    abstract = True
    wait_time = between(1, 3)
    # FastHttpUser (geventhttpclient) costs the load generator a fraction of the CPU of
    # HttpUser (requests): locust shares the server's two cores, so its own cost is kept low.

    def sign_in(self, account: dict) -> None:
        self.account = account
        page = self.client.get("/auth/login", name="sign-in page")
        response = self.client.post(
            "/auth/login",
            data={"csrf_token": self.token(page.text), "username": account["username"],
                  "password": PASSWORD},
            name="sign-in", allow_redirects=False,
        )  # fmt: skip
        if response.headers.get("Location", "").endswith("/auth/mfa"):
            page = self.client.get("/auth/mfa", name="sign-in: two-step page")
            self.client.post(
                "/auth/mfa",
                data={"csrf_token": self.token(page.text),
                      "code": pyotp.TOTP(account["totp"]).now()},
                name="sign-in: two-step code",
            )  # fmt: skip

    @staticmethod
    def token(html: str) -> str:
        found = _CSRF.search(html)
        return found.group(1) if found else ""

    def read(self, path: str, name: str, kind: str, object_id: int) -> str:
        """GET a page with personal data; note its request id for the audit check."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return ""
            RECORD["reads"].append(
                {
                    "request_id": response.headers.get("X-Request-Id"),
                    "user": self.account["username"],
                    "kind": kind,
                    "object_id": object_id,
                }
            )
            return response.text


class Worker(Journey):
    weight = 7

    def on_start(self) -> None:
        accounts = PLAN["workers"]
        self.sign_in(accounts[(next(_worker_slots) // 2) % len(accounts)])

    @task(6)
    def read_case(self) -> None:
        case_id = random.choice(self.account["read_cases"])
        self.read(f"/cases/{case_id}", "case page", "case", case_id)

    @task(3)
    def read_person(self) -> None:
        person_id = random.choice(self.account["read_persons"])
        self.read(f"/people/{person_id}", "person page", "person", person_id)

    @task(3)
    def caseload(self) -> None:
        self.client.get("/cases/", name="caseload")

    @task(2)
    def search(self) -> None:
        page = self.client.get("/cases/", name="caseload")
        self.client.post(
            "/people/search",
            data={"csrf_token": self.token(page.text), "q": random.choice(PLAN["names"])},
            name="person search",
        )

    @task(2)
    def add_note(self) -> None:
        case_id = random.choice(self.account["note_cases"])
        page = self.read(f"/cases/{case_id}", "case page", "case", case_id)
        if not page:
            return
        when = dt.date.fromisoformat(PLAN["today"]) - dt.timedelta(days=random.randint(1, 20))
        # Like the other writes, the POST alone is timed (a note refused with the form shown
        # again is a failure); the case page it redirects to is then read as a browser would,
        # and timed as a case page.
        with self.client.post(
            f"/cases/{case_id}/notes",
            data={"csrf_token": self.token(page), "kind": "visit",
                  "occurred_on": when.isoformat(),
                  "body": "Thăm nhà (kiểm thử tải): gia đình hợp tác, trẻ đi học đều."},
            name="add note", allow_redirects=False, catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 302:
                response.failure(f"status {response.status_code}")
                return
        self.read(f"/cases/{case_id}", "case page", "case", case_id)

    @task(2)
    def edit_case(self) -> None:
        case_id = random.choice(self.account["edit_cases"])
        page = self.client.get(f"/cases/{case_id}/edit", name="case edit form")
        version = _VERSION.search(page.text)
        if page.status_code != 200 or version is None:
            return
        data = {
            "csrf_token": self.token(page.text),
            "version": version.group(1),
            "protection_level": random.choice(["prevention", "support", "intervention"]),
            "risk_level": random.choice(["low", "medium", "high"]),
            "summary": f"Cập nhật đánh giá (kiểm thử tải) lần {next(_serial)}.",
        }
        # Noted before it is sent: a save still in flight when the test stops may land.
        change = {"case_id": case_id, "outcome": "in flight", "version": int(data["version"])}
        RECORD["changes"].append(change)
        with self.client.post(
            f"/cases/{case_id}/edit", data=data, name="case edit", allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code == 302:
                outcome = "saved"
            elif response.status_code == 200 and "alert-warning" in response.text:
                outcome = "stale"  # someone saved first: refused, shown for comparison
                response.success()
            else:
                outcome = f"status {response.status_code}"
                response.failure(outcome)
            change["outcome"] = outcome

    @task(1)
    def register(self) -> None:
        page = self.client.get("/people/new", name="registration form")
        female = random.random() < 0.5
        response = self.client.post(
            "/people/new",
            data={
                "csrf_token": self.token(page.text), "surname": "Lê",
                "middle_name": "Thị" if female else "Văn",
                "given_name": random.choice(["Hoa", "Lan", "Mai"] if female else ["Nam", "Hùng"]),
                "sex": "female" if female else "male", "birth_year": "2012",
                "unit_id": str(self.account["unit_id"]), "confirmed_new": "1",
            },
            name="register person", allow_redirects=False,
        )  # fmt: skip
        found = re.search(r"/people/(\d+)$", response.headers.get("Location", ""))
        if not found:
            return
        person_id = int(found.group(1))
        page = self.client.get(f"/cases/new/{person_id}", name="new case form")
        response = self.client.post(
            f"/cases/new/{person_id}",
            data={"csrf_token": self.token(page.text), "group_code": "child",
                  "protection_level": "support", "risk_level": "medium",
                  "unit_id": str(self.account["unit_id"]),
                  "summary": "Tiếp nhận (kiểm thử tải): trẻ nghỉ học nhiều buổi."},
            name="open case", allow_redirects=False,
        )  # fmt: skip
        RECORD["registrations"].append(
            {"person_id": person_id, "case_opened": response.status_code == 302}
        )


class Supervisor(Journey):
    weight = 2

    def on_start(self) -> None:
        accounts = PLAN["supervisors"]
        self.sign_in(accounts[next(_supervisor_slots) % len(accounts)])

    @task(4)
    def dashboard(self) -> None:
        self.client.get("/supervision/", name="supervisor dashboard")

    @task(2)
    def approvals(self) -> None:
        self.client.get("/supervision/approvals", name="approvals queue")

    @task(2)
    def approve(self) -> None:
        if not self.account["approve_cases"]:
            return
        case_id = self.account["approve_cases"].pop()
        page = self.read(f"/cases/{case_id}", "case page", "case", case_id)
        versions = _VERSION.findall(page or "")
        if 'value="approve_plan"' not in (page or "") or not versions:
            return
        change = {"case_id": case_id, "outcome": "in flight", "version": int(versions[0])}
        RECORD["changes"].append(change)
        with self.client.post(
            f"/cases/{case_id}/transition",
            data={"csrf_token": self.token(page), "version": versions[0],
                  "transition": "approve_plan", "reason": "", "understood": "y"},
            name="approve plan", allow_redirects=False, catch_response=True,
        ) as response:  # fmt: skip
            change["outcome"] = "approved" if response.status_code == 302 else "refused"
            if response.status_code != 302:
                response.failure(f"status {response.status_code}")

    @task(1)
    def read_case(self) -> None:
        case_id = random.choice(self.account["read_cases"])
        self.read(f"/cases/{case_id}", "case page", "case", case_id)


class Auditor(Journey):
    weight = 1

    def on_start(self) -> None:
        accounts = PLAN["auditors"]
        self.sign_in(accounts[next(_auditor_slots) % len(accounts)])

    @task(3)
    def search_by_user(self) -> None:
        user = random.choice(PLAN["usernames"])
        self.client.get(f"/audit/events?user={user}", name="audit search (user)")

    @task(2)
    def search_by_case(self) -> None:
        case_id = random.choice(PLAN["case_ids"])
        self.client.get(f"/audit/cases?case={case_id}", name="audit: accesses to a case")

    @task(1)
    def alerts(self) -> None:
        self.client.get("/audit/alerts", name="audit alerts")

"""The main menu: every role's entries are drawn and open, grouped as designed, the current
page's entry is marked, and the account menu holds the account page and sign-out."""

from __future__ import annotations

import pytest

from casemgr.admin.services import assign_role
from casemgr.auth.roles import Role
from tests.walk.dom import Node, parse

# Every entry each role had before the menu was regrouped (and the dashboard), and the
# approvals and reassignment pages (reached only from the supervision overview before): none
# may be lost.
ENTRIES = {
    Role.SOCIAL_WORKER: {
        "/dashboard",
        "/intake/",
        "/cases/",
        "/people/",
        "/rules/tasks",
        "/support/referrals",
        "/support/points",
        "/programmes/",
    },
    Role.SUPERVISOR: {
        "/dashboard",
        "/intake/",
        "/cases/",
        "/people/",
        "/rules/tasks",
        "/support/referrals",
        "/support/points",
        "/programmes/",
        "/supervision/",
        "/supervision/approvals",
        "/supervision/reassign",
        "/rules/overdue",
        "/cases/transfers/incoming",
        "/reports/",
        "/audit/alerts",
        "/people/erasure-requests",
    },
    Role.AUDITOR: {"/dashboard", "/audit/events", "/audit/alerts"},
    Role.ADMINISTRATOR: {
        "/dashboard",
        "/support/points",
        "/programmes/",
        "/admin/users",
        "/admin/units",
        "/rules/",
        "/people/erasure-requests",
        "/jobs/background",
    },
}
# What the bar shows in Vietnamese: links on the bar, and dropdowns as "Title: entries".
BARS = {
    Role.SOCIAL_WORKER: [
        "Tổng quan",
        "Tin báo",
        "Hồ sơ",
        "Người được hỗ trợ",
        "Việc cần làm",
        "Dịch vụ: Chuyển gửi, Điểm cung cấp dịch vụ, Mô hình can thiệp",
    ],
    Role.SUPERVISOR: [
        "Tổng quan",
        "Tin báo",
        "Hồ sơ",
        "Người được hỗ trợ",
        "Việc cần làm",
        "Giám sát: Tổng quan giám sát, Phê duyệt, Phân công lại, Quá hạn, "
        "Hồ sơ được chuyển đến, Báo cáo, Cảnh báo, Yêu cầu xóa dữ liệu",
        "Dịch vụ: Chuyển gửi, Điểm cung cấp dịch vụ, Mô hình can thiệp",
    ],
    # Three entries: all on the bar, no dropdown of two.
    Role.AUDITOR: ["Tổng quan", "Nhật ký truy cập", "Cảnh báo"],
    Role.ADMINISTRATOR: [
        "Tổng quan",
        "Quản trị: Người dùng, Đơn vị, Quy định và lịch làm việc, Yêu cầu xóa dữ liệu, "
        "Công việc chạy nền",
        "Dịch vụ: Điểm cung cấp dịch vụ, Mô hình can thiệp",
    ],
}


def menu_of(html: str) -> Node:
    return next(ul for ul in parse(html).iter("ul") if ul.attrs.get("data-testid") == "main-menu")


def bar(menu: Node) -> list[str]:
    """The menu as read: each top entry, a dropdown as its title and its entries."""
    shown = []
    for item in (c for c in menu.children if isinstance(c, Node) and c.tag == "li"):
        if "dropdown" in item.classes:
            title = next(item.iter("button")).text()
            entries = ", ".join(a.text() for a in item.iter("a"))
            shown.append(f"{title}: {entries}")
        else:
            shown.append(next(item.iter("a")).text())
    return shown


@pytest.mark.parametrize("role", list(ENTRIES))
def test_every_entry_of_each_role_is_drawn_reachable_and_operable(client, make, role):
    client.login(make.user(role))
    menu = menu_of(client.get("/dashboard").get_data(as_text=True))
    links = [a.attrs["href"] for a in menu.iter("a")]
    assert sorted(links) == sorted(ENTRIES[role])  # each once, none lost, none extra
    assert bar(menu) == BARS[role]
    for href in links:
        assert client.get(href).status_code == 200, href  # the role may open what it is shown
    # Keyboard: entries are links, groups open from real buttons (Bootstrap's dropdowns).
    for toggle in menu.iter("button"):
        assert toggle.attrs["type"] == "button" and toggle.attrs["aria-expanded"] == "false"
        assert toggle.attrs["data-bs-toggle"] == "dropdown"
        assert toggle.parent is not None and "dropdown-menu" in next(
            ul.classes for ul in toggle.parent.iter("ul")
        )


def test_an_entry_shown_by_two_roles_appears_once(client, make, db):
    user = make.user(Role.SUPERVISOR)
    assign_role(None, user, Role.AUDITOR, user.roles[0].unit)
    db.session.flush()
    client.login(user)
    links = [
        a.attrs["href"] for a in menu_of(client.get("/dashboard").get_data(as_text=True)).iter("a")
    ]
    assert links.count("/audit/alerts") == 1 and "/audit/events" in links
    assert links.count("/people/erasure-requests") == 1


def current(menu: Node) -> list[tuple[str, str]]:
    return [(a.attrs["href"], a.text()) for a in menu.iter("a") if a.attrs.get("aria-current")]


def active_groups(menu: Node) -> list[str]:
    return [b.text() for b in menu.iter("button") if "active" in b.classes]


def test_the_current_pages_entry_is_marked(client, make):
    client.login(make.user(Role.SUPERVISOR))
    menu = menu_of(client.get("/cases/").get_data(as_text=True))
    assert current(menu) == [("/cases/", "Hồ sơ")] and active_groups(menu) == []
    link = next(a for a in menu.iter("a") if a.attrs.get("aria-current"))
    assert link.attrs["aria-current"] == "page" and "active" in link.classes
    # A page below an entry belongs to the longest entry above it, and its group is marked.
    menu = menu_of(client.get("/cases/transfers/incoming").get_data(as_text=True))
    assert current(menu) == [("/cases/transfers/incoming", "Hồ sơ được chuyển đến")]
    assert active_groups(menu) == ["Giám sát"]
    menu = menu_of(client.get("/rules/tasks").get_data(as_text=True))
    assert current(menu) == [("/rules/tasks", "Việc cần làm")]
    # A page outside the menu marks nothing.
    menu = menu_of(client.get("/notifications/").get_data(as_text=True))
    assert current(menu) == [] and active_groups(menu) == []


def test_the_account_menu_holds_the_account_page_and_sign_out(client, make):
    user = make.user(Role.ADMINISTRATOR)
    client.login(user)
    page = parse(client.get("/dashboard").get_data(as_text=True))
    toggle = next(b for b in page.iter("button") if b.attrs.get("data-testid") == "account-menu")
    assert user.display_name in toggle.text() and toggle.attrs["title"] == user.display_name
    menu = next(ul for ul in toggle.parent.iter("ul") if "dropdown-menu" in ul.classes)
    assert [a.attrs["href"] for a in menu.iter("a")] == ["/auth/password"]
    sign_out = next(menu.iter("form"))
    assert sign_out.attrs["action"] == "/auth/logout" and sign_out.attrs["method"] == "post"
    assert next(sign_out.iter("button")).text() == "Đăng xuất"

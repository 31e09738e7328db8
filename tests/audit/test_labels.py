"""Every audit action, object type, field name and fixed reason the code base records has a
translated label."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

from flask_babel import force_locale

from casemgr.audit import labels
from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Action, Role
from casemgr.cases.workflow import BY_NAME, COMBINED_BY_NAME

ROOT = Path(__file__).resolve().parents[2] / "casemgr"
# Functions that pass their first argument on to record() as the action code.
WRAPPERS = {"record", "_audit", "audit_case_event", "_audit_case"}
# Helpers that record f"{object_type}.view" for a refused look-up, and where object_type is:
# support.services.refuse_unknown(actor, object_type), support.views._not_found(object_type),
# groups.queries._not_found(user, case, object_type, id).
VIEW_REFUSERS = {("services.py", "refuse_unknown"): 1, ("views.py", "_not_found"): 0}
VIEW_REFUSERS[("queries.py", "_not_found")] = 2
# Wrappers that record their positional argument as the reason, with the action they record:
# supervision.services._refuse(actor, code) (case.reassign's refusals).
# support.referrals._refused(actor, case, access, code) (referral.send's refusals);
# crypto.envelope._key_failure(person_id, reason, message) (a data key that did not open).
REASON_POSITIONS = {
    ("services.py", "_refuse"): (1, "case.reassign"),
    ("referrals.py", "_refused"): (3, "referral.send"),
    ("envelope.py", "_key_failure"): (1, "crypto.integrity_failure"),
}
# Functions that hand their caller's reason on to record(): their callers' reasons are read.
FORWARDERS = {"_audit", "audit_case_event", "_audit_case", "audit_list", "_refuse", "_refused"}
# Wrappers that take the object type as a positional argument, by file name as above:
# groups.services._audit (the other services' _audit take it by keyword, or not at all).
OBJECT_POSITIONS = {("services.py", "_audit"): 4}


def _strings(node: ast.expr) -> list[str] | None:
    """The string constants an expression can take, or None if it is not made of constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Constant) and node.value is None:
        return []
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


class _Walk(ast.NodeVisitor):
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.params: list[set[str]] = [set()]
        self.functions: list[str] = [""]
        self.actions: set[str] = set()
        self.reasons: set[str] = set()
        self.action_reasons: set[tuple[str, str]] = set()  # (action, reason) from wrappers
        self.objects: set[str] = set()
        self.reason_sites: set[str] = set()  # reasons built at the call, as their source text
        self.unreadable: list[str] = []
        self.wrappers = set(WRAPPERS)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        # `from casemgr.audit import record as audit` makes `audit(...)` a recording call too.
        if (node.module or "").startswith("casemgr.audit"):
            self.wrappers.update(a.asname for a in node.names if a.name == "record" and a.asname)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        args = node.args
        self.params.append({a.arg for a in args.posonlyargs + args.args + args.kwonlyargs})
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()
        self.params.pop()

    def visit_Call(self, call: ast.Call) -> None:
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in self.wrappers and call.args:
            first = call.args[0]
            found = _strings(first)
            if found is not None:
                self.actions.update(found)
            elif isinstance(first, ast.JoinedStr) and ast.unparse(first) == "f'{object_type}.view'":
                pass  # the object types are collected from the callers of the refusers
            elif not (isinstance(first, ast.Name) and first.id in self.params[-1]):
                self.unreadable.append(f"{self.filename}:{call.lineno}")
        position = VIEW_REFUSERS.get((self.filename, name))
        if position is not None and len(call.args) > position:
            for object_type in _strings(call.args[position]) or []:
                self.actions.add(f"{object_type}.view")
                self.objects.add(object_type)
        spot = REASON_POSITIONS.get((self.filename, name))
        if spot is not None and len(call.args) > spot[0]:
            self.action_reasons.update((spot[1], r) for r in _strings(call.args[spot[0]]) or [])
        position = OBJECT_POSITIONS.get((self.filename, name))
        if position is not None and len(call.args) > position:
            self.objects.update(_strings(call.args[position]) or [])
        if name == "audit_list" and len(call.args) > 1:  # audit_list(user, reason)
            self.reasons.update(_strings(call.args[1]) or [])
        for keyword in call.keywords:
            if keyword.arg == "reason":
                self.reasons.update(_strings(keyword.value) or [])
                if name in self.wrappers and _strings(keyword.value) is None:
                    value = keyword.value
                    forwarded = isinstance(value, ast.Name) and value.id in self.params[-1]
                    if not (forwarded and self.functions[-1] in FORWARDERS):
                        self.reason_sites.add(ast.unparse(value))
            if keyword.arg == "object_type":
                self.objects.update(_strings(keyword.value) or [])
        self.generic_visit(call)


def collect() -> tuple[set[str], set[str], list[str]]:
    """(action codes, fixed reasons, calls whose action code cannot be read) in casemgr/."""
    actions: set[str] = set()
    reasons: set[str] = set()
    unreadable: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        walk = _Walk(path.name)
        walk.visit(ast.parse(path.read_text(encoding="utf-8")))
        actions |= walk.actions
        reasons |= walk.reasons
        unreadable += [f"{path.relative_to(ROOT)}:{spot.split(':')[1]}" for spot in walk.unreadable]
    return actions, reasons, unreadable


def collect_objects() -> set[str]:
    """The object types recorded with a constant code in casemgr/, and the corrections' kinds
    (recorded by their name)."""
    from casemgr.corrections.registry import KINDS

    found: set[str] = set(KINDS)
    for path in sorted(ROOT.rglob("*.py")):
        walk = _Walk(path.name)
        walk.visit(ast.parse(path.read_text(encoding="utf-8")))
        found |= walk.objects
    return found


def collect_action_reasons() -> set[tuple[str, str]]:
    """(action, reason) recorded through wrappers that take the reason by position."""
    found: set[tuple[str, str]] = set()
    for path in sorted(ROOT.rglob("*.py")):
        walk = _Walk(path.name)
        walk.visit(ast.parse(path.read_text(encoding="utf-8")))
        found |= walk.action_reasons
    return found


def test_every_reason_passed_by_position_has_a_translated_label(app):
    found = collect_action_reasons()
    assert ("case.reassign", "owner not in unit") in found and len(found) >= 8
    assert ("referral.send", "override not allowed") in found
    assert ("crypto.integrity_failure", "null key") in found
    with app.test_request_context(), force_locale("vi"):
        raw = sorted(f"{a}: {r}" for a, r in found if labels.reason_label(r, a) == r)
        assert raw == [], f"reasons shown as recorded (add them to audit/labels.py): {raw}"
        assert labels.reason_label("owner not in unit", "case.reassign") == (
            "cán bộ phụ trách mới không phải là cán bộ công tác xã hội của đơn vị quản lý hồ sơ"
        )
        assert labels.reason_label("explain other", "case.reassign") == (
            "chọn lý do Khác nhưng không giải thích"
        )
        assert labels.reason_label("out of scope", "case.reassign") == "ngoài phạm vi của bạn"
        from casemgr.supervision.models import ReassignReason

        for reason in ReassignReason:  # a reassignment made records its reason code
            assert labels.reason_label(str(reason), "case.reassign") != str(reason)


def test_every_recorded_object_type_has_a_label():
    found = collect_objects()
    assert {"case", "person", "drug_programme", "drug_test", "note", "enrolment"} <= found
    missing = sorted(found - set(labels.OBJECT_LABELS))
    assert missing == [], f"audit object types without a label in audit/labels.py: {missing}"


def test_the_collector_finds_the_actions():
    actions, reasons, _ = collect()
    assert {"case.view", "auth.login", "user.disable", "referral.view"} <= actions
    assert {"bad credentials", "disabled", "not your area"} <= reasons
    assert len(actions) > 90


def test_every_recorded_action_has_a_label():
    actions, _, unreadable = collect()
    assert unreadable == [], "record() with an action code the walk cannot read"
    missing = sorted(actions - set(labels.ACTION_LABELS))
    assert missing == [], f"audit actions without a label in casemgr/audit/labels.py: {missing}"


def test_every_fixed_reason_and_permission_has_a_label():
    _, reasons, _ = collect()
    missing = sorted(reasons - set(labels.REASON_LABELS))
    assert missing == [], f"audit reasons without a label in casemgr/audit/labels.py: {missing}"
    assert set(Action) == set(labels.PERMISSION_LABELS)


def test_labels_are_translated(app):
    with app.test_request_context(), force_locale("vi"):
        tables = (labels.ACTION_LABELS, labels.REASON_LABELS, labels.PERMISSION_LABELS,
                  labels.OBJECT_LABELS, labels.FIELD_LABELS,
                  labels.VERIFY_PROBLEM_LABELS)  # fmt: skip
        for table in tables:
            untranslated = [code for code, label in table.items() if str(label) == label._args[0]]
            assert untranslated == [], f"no Vietnamese for: {untranslated}"
        # A search by the whole name is not a read of the given name.
        assert str(labels.FIELD_LABELS["name"]) == "Họ và tên"
        assert str(labels.FIELD_LABELS["given_name"]) == "Tên"
        # The people list records its page in the reason: shown in words, with the number.
        assert labels.reason_label("people list page 3") == "danh sách người được hỗ trợ, trang 3"
        assert labels.reason_label("people list page x") == "people list page x"
        # A workflow move's name, recorded as the reason of case.transition, by its label.
        assert labels.reason_label("submit_plan") == "Trình phê duyệt kế hoạch"
        moves = {**BY_NAME, **COMBINED_BY_NAME}
        untranslated = [n for n, m in moves.items() if labels.reason_label(n) == m.label._args[0]]
        assert untranslated == [], f"workflow moves without Vietnamese: {untranslated}"


def test_reasons_built_from_codes_are_shown_by_their_parts(app):
    with app.test_request_context(), force_locale("vi"):
        consent = labels.reason_label("referral:guardian", "person.consent_add")
        assert consent == (
            "Chia sẻ với các tổ chức mà người được hỗ trợ được chuyển gửi đến: "
            "Cha mẹ hoặc người giám hộ"
        )
        assert labels.reason_label("referral:guardian", "person.consent_withdraw") == consent
        # A withdrawal recorded before the giver was: the scope alone.
        assert labels.reason_label("referral", "person.consent_withdraw").startswith("Chia sẻ")
        assert labels.reason_label("child", "programme.create") == "Trẻ em có hoàn cảnh đặc biệt"
        assert labels.reason_label("school", "service_point.create") == "Trường học"
        assert labels.reason_label("identified", "trafficking.status_add") == (
            "Nạn nhân đã được xác định"
        )
        duty = labels.reason_label('{"failed_jobs":0,"requeued":2}', "duty.run")
        assert "2" in duty and "{" not in duty
        activity = labels.reason_label("model 12: staff_training", "programme.activity")
        assert activity == "mô hình can thiệp 12: Lớp tập huấn cho cán bộ xã"
        assert labels.reason_label("model 3", "programme.enrol") == "mô hình can thiệp 3"
        assert labels.reason_label("model 3 not open to the case", "programme.enrol") == (
            "mô hình can thiệp 3 không áp dụng cho hồ sơ này"
        )
        assert (
            labels.reason_label("34/3321", "areas.load") == "34 tỉnh, thành phố và 3321 xã, phường"
        )
        assert labels.reason_label("120", "areas.load_legacy") == "120 đơn vị hành chính cũ"
        # Jobs by their kind; reports by their name and file format; a service delivered by
        # its target group and service.
        assert labels.reason_label("person_list", "job.start") == "Danh sách được bảo vệ"
        assert labels.reason_label("report_workbook", "job.download") == "Báo cáo đầy đủ cấp tỉnh"
        assert labels.reason_label("registered csv", "report.export") == (
            "Số người được tiếp nhận mới: CSV"
        )
        assert labels.reason_label("provincial full.xlsx", "report.export") == (
            "báo cáo đầy đủ cấp tỉnh, Excel"
        )
        assert labels.reason_label("person list xlsx (password protected)", "report.export") == (
            "danh sách người được hỗ trợ, Excel (có mật khẩu)"
        )
        assert labels.reason_label("registered monitoring", "report.monitoring") == (
            "Số người được tiếp nhận mới"
        )
        assert labels.reason_label("deadlines monitoring", "report.monitoring") == (
            "Tình hình thực hiện đúng thời hạn"
        )
        assert labels.reason_label("child:education", "service.deliver") == (
            "Trẻ em có hoàn cảnh đặc biệt: Hỗ trợ giáo dục"
        )
        assert labels.reason_label("not eligible", "service.deliver") == "không đủ điều kiện"
        # Not the shape the action records, or another action: shown as recorded.
        for code, action in [
            ("model x not open to the case", "programme.enrol"),
            ("referral:nobody", "person.consent_add"),
            ("nobody:guardian", "person.consent_add"),
            ("adults", "programme.create"),
            ("model x: staff_training", "programme.activity"),
            ("referral:guardian", "service.deliver"),
            ("34/x", "areas.load"),
            ("registered pdf", "report.export"),
            ("registered", "report.monitoring"),
            ("child:flying", "service.deliver"),
            ("adults:education", "service.deliver"),
            ("person_list", "job.view"),
        ]:
            assert labels.reason_label(code, action) == code


def test_reasons_of_users_units_persons_and_the_trail_read_as_words(app):
    """Reasons that name a role and unit, another record by id, a count or a code of their own
    action, in Vietnamese (without a unit of that code: its code stands for it)."""
    with app.test_request_context(), force_locale("vi"):
        label = labels.reason_label
        assert label("social_worker@NO-SUCH", "user.role_add") == (
            "Cán bộ công tác xã hội tại NO-SUCH"
        )
        assert label("supervisor@NO-SUCH", "user.role_remove") == "Người giám sát tại NO-SUCH"
        assert label("open cases: 3", "user.disable") == "vẫn đang phụ trách 3 hồ sơ chưa đóng"
        assert label("successor=999999", "unit.close") == "đơn vị kế thừa: #999999"
        # Another registration by its id: a person's name is case content.
        assert label("same_as:12", "person.link") == "cùng một người với người được hỗ trợ #12"
        # A link made, removed and compared: the other registration and the reason's code.
        assert label("same_as:12 confirmed_by_person", "person.link") == (
            "cùng một người với người được hỗ trợ #12: Người được hỗ trợ hoặc gia đình đã xác nhận"
        )
        assert label("not_same_as:12 different_people", "person.unlink") == (
            "gỡ liên kết với người được hỗ trợ #12: Đây là hai người khác nhau"
        )
        assert label("compare_with:12", "person.link_compare") == (
            "đối chiếu với người được hỗ trợ #12"
        )
        assert label("already linked", "person.link") == "đã được liên kết"
        assert label("not linked", "person.unlink") == "không có liên kết"
        assert label("different_from:12", "person.distinct") == (
            "là người khác với người được hỗ trợ #12"
        )
        assert label("user:5", "case.co_worker_add") == "người dùng #5"
        assert label("emergency", "case.break_glass") == (
            "Khẩn cấp: có người đang gặp nguy hiểm (được xem và ghi chép)"
        )
        assert label("unknown number", "case.break_glass") == "số hồ sơ không tồn tại"
        assert label("relapse", "drugs.escalate") == "Tái nghiện"
        assert label("granted", "no_contact.decide") == "Chấp thuận"
        assert label("accepted", "referral.answer") == "Đã tiếp nhận"
        assert label("declined", "referral.answer") == "Từ chối"
        assert label("override not allowed", "referral.send") == (
            "không được phép tiến hành khi chưa có sự đồng ý"
        )
        assert label("entered_in_error", "person.erased") == "Đăng ký nhầm"
        assert label("2026", "programme.targets") == "năm 2026"
        assert label("archived 1-500", "audit.archive") == "các sự kiện từ #1 đến #500"
        assert label("3", "audit.scan") == "3 cảnh báo mới"
        assert label("bad_mac", "audit.verify").startswith("nội dung của một sự kiện không khớp")
        assert label("read write", "token.create") == "Đọc, Ghi"
        assert label("audit", "access.denied") == "mã truy cập API thiếu phạm vi: Kiểm tra"
        assert label("view_cases", "access.denied") == "cần quyền: xem hồ sơ"
        # Not the shape the action records: shown as recorded.
        for code, action in [
            ("nurse@C01", "user.role_add"),
            ("social_worker@", "user.role_add"),
            ("successor=x", "unit.close"),
            ("same_as:x", "person.link"),
            ("twin_of:12", "person.link"),
            ("same_as:12 guessed", "person.link"),
            ("not_same_as:12 bored", "person.unlink"),
            ("user:x", "case.co_worker_add"),
            ("curiosity", "case.break_glass"),
            ("sent", "referral.send"),
            ("archived 1-x", "audit.archive"),
            ("read fly", "token.create"),
            ("next year", "programme.targets"),
        ]:
            assert label(code, action) == code


def test_role_and_successor_reasons_name_the_unit_on_the_events_page(client, make, db):
    """A unit's name is not case data: the events page names it beside its code."""
    from casemgr.admin.services import assign_role
    from casemgr.org.services import close_unit

    office, successor = make.unit(code="T-OLD"), make.unit(code="T-NEW")
    worker = make.user(Role.SOCIAL_WORKER, office)
    assign_role(None, worker, Role.SUPERVISOR, successor)
    close_unit(None, office, on=dt.date(2026, 1, 1), successor=successor)
    auditor = make.user(Role.AUDITOR)
    client.login(auditor)
    client.post_form("/auth/language", {"locale": "vi"})
    page = client.get("/audit/events").get_data(as_text=True)
    assert f"Người giám sát tại {successor.name} (T-NEW)" in page
    assert f"đơn vị kế thừa: {successor.name} (T-NEW)" in page
    assert "supervisor@T-NEW" not in page and f"successor={successor.id}" not in page


def test_events_page_shows_labels_in_vietnamese(client, make, db):
    auditor = make.user(Role.AUDITOR)
    client.login(auditor)
    client.post_form("/auth/language", {"locale": "vi"})
    page = client.get("/audit/events").get_data(as_text=True)
    assert "Đăng nhập" in page  # the sign-in just recorded, as a label...
    assert "auth.login" in page  # ...with its code beside it
    assert re.search(r"Người dùng #\d+", page)  # what it was about, by its label and id
    assert (
        "<code" not in page.split('data-testid="audit-events"', 1)[1].split("Người dùng #")[1][:20]
    )
    last = db.session.query(AuditEvent).filter_by(action="auth.login").first()
    assert last is not None


# Field lists whose names the walk cannot read at the call, by file and function: where the
# names come from. A new such call fails test_every_recorded_field_has_a_label until it is here.
def _field_sources() -> dict[tuple[str, str], set[str]]:
    import dataclasses
    from types import SimpleNamespace

    from casemgr.audit.queries import EventFilter
    from casemgr.cases.forms import ASSESSMENT_QUESTIONS
    from casemgr.corrections.registry import KINDS
    from casemgr.intake.models import SEALED_FIELDS
    from casemgr.people.services import PLAIN_FIELDS, SENSITIVE_FIELDS
    from casemgr.programmes.models import Indicator
    from casemgr.support.letters import _read_fields

    criteria = {f.name for f in dataclasses.fields(EventFilter)}
    person = set(SENSITIVE_FIELDS) | set(PLAIN_FIELDS)
    letter = set()
    for pseudonymous in (True, False):
        letter |= set(_read_fields(SimpleNamespace(is_pseudonymous=pseudonymous)))
    return {
        ("api/audit.py", "list_audit_events"): criteria,
        ("audit/recorder.py", "record"): set(),  # the recorder itself, storing what it is given
        ("audit/views.py", "events"): criteria,
        ("audit/views.py", "export"): criteria,
        ("cases/services.py", "record_assessment"): {key for key, _ in ASSESSMENT_QUESTIONS},
        ("corrections/services.py", "correct"): {f for kind in KINDS.values() for f in kind.fields},
        # A stored value that failed its check: the database column, shown as recorded.
        ("crypto/fields.py", "report_integrity_failure"): set(),
        ("intake/services.py", "receive_report"): set(SEALED_FIELDS),
        ("people/services.py", "register_person"): person,
        ("people/services.py", "update_person"): person,
        ("programmes/services.py", "set_targets"): {str(i) for i in Indicator},
        ("support/letters.py", "referral_letter"): letter,
    }


_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def _names_in(node: ast.AST) -> set[str]:
    """Identifier-like string constants in a list, tuple, dict key or append() under node."""
    found = set()
    for part in ast.walk(node):
        if isinstance(part, ast.List | ast.Tuple):
            found |= {e.value for e in part.elts if isinstance(e, ast.Constant)}
        elif isinstance(part, ast.Dict):
            found |= {k.value for k in part.keys if isinstance(k, ast.Constant)}
        elif isinstance(part, ast.Call) and getattr(part.func, "attr", None) == "append":
            found |= {a.value for a in part.args if isinstance(a, ast.Constant)}
    return {name for name in found if isinstance(name, str) and _IDENTIFIER.match(name)}


def collect_fields() -> tuple[set[str], list[str]]:
    """(the field names recorded anywhere in casemgr/, calls whose names cannot be read)."""
    sources = _field_sources()
    found: set[str] = set()
    unreadable: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        where = str(path.relative_to(ROOT))
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef):
                continue
            args = function.args
            params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
            for node in ast.walk(function):
                if not (isinstance(node, ast.keyword) and node.arg == "fields"):
                    continue
                value = node.value
                if (where, function.name) in sources:
                    found |= sources[(where, function.name)]
                elif isinstance(value, ast.Name) and value.id in params:
                    pass  # a wrapper handing its caller's list on: read at the caller
                elif isinstance(value, ast.Name):  # a list built in the function
                    names = _names_in(function)
                    found |= names
                    if not names:
                        unreadable.append(f"{where}:{node.lineno}")
                elif _names_in(value) or isinstance(value, ast.List | ast.IfExp):
                    found |= _names_in(value)
                else:
                    unreadable.append(f"{where}:{node.lineno}")
    return found, unreadable


def test_every_recorded_field_has_a_label():
    found, unreadable = collect_fields()
    assert unreadable == [], "fields= whose names the walk cannot read: add to _field_sources"
    # The walk reads literal lists, lists built in the function, and the sources above.
    assert {"goal", "risk_level", "display_name", "safety", "seq_from", "child_name"} <= found
    assert {"tested_on", "persons_enrolled", "given_name", "kind", "area_id"} <= found
    missing = sorted(found - set(labels.FIELD_LABELS))
    assert missing == [], f"audit field names without a label in audit/labels.py: {missing}"


def test_objects_are_shown_by_label_and_id_without_their_type_code(app):
    """ "Người dùng #2", not "Người dùng user 2": the type code only repeats the label."""
    with app.test_request_context(), force_locale("vi"):
        cell = labels.object_cell
        assert str(cell("user", 2)) == "Người dùng #2"
        assert str(cell("audit_event", "659")) == "Nhật ký truy cập #659"
        assert str(cell("case", None)) == "Hồ sơ"
        assert str(cell("case", "7,8")) == "Hồ sơ #7, #8"  # the cases an auditor looked up
        assert str(cell("escrow", "escrow-1.json")) == "Lưu ký khóa mã hóa escrow-1.json"
        # A scheduled duty: its label and the start of its period, in local time.
        assert str(cell("duty", "recover_jobs@2026-12-07T13:24:00")) == (
            "Khôi phục công việc bị gián đoạn (07/12/2026 20:24)"
        )
        assert str(cell("duty", "gone_duty@2026-12-07T13:24:00")) == (
            "Nhiệm vụ định kỳ gone_duty@2026-12-07T13:24:00"
        )
        # A type without a label (a table named by an integrity failure): its code, as it is.
        assert str(cell("persons", 3)) == "<code>persons</code> 3"
        assert str(cell(None, 3)) == "3"


def test_fields_are_shown_as_labels_with_their_codes(app):
    with app.test_request_context(), force_locale("vi"):
        cell = str(labels.fields_cell("goal,action,unknown_thing"))
    assert cell.startswith('Mục tiêu <code class="small text-muted">goal</code>, Hoạt động')
    assert cell.endswith("<code>unknown_thing</code>")
    assert str(labels.fields_cell(None)) == str(labels.fields_cell("")) == ""


# Reasons built where they are recorded (not a constant), by file and source text: what they
# can be, as (action, reason) samples that must each read as words in Vietnamese. A new such
# reason fails test_every_reason_built_at_the_call_has_a_label until it is here.
AS_RECORDED = "as recorded"


def _returned(path: str, function: str) -> set[str]:
    """The string constants a function returns (policy.letter_refusal's codes, say)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            for part in ast.walk(node):
                if isinstance(part, ast.Return) and part.value is not None:
                    found |= {
                        c.value
                        for c in ast.walk(part.value)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    }
    assert found, f"{path}: {function} returns no string constant"
    return found


def _reason_sources() -> dict[str, list[tuple[str, str]] | str]:
    from casemgr.audit.verify import ProblemKind
    from casemgr.cases.models.break_glass import BreakGlassReason
    from casemgr.groups.models import EscalationReason, NoContactDecision
    from casemgr.jobs import kinds  # noqa: F401  (registers the kinds)
    from casemgr.jobs.runner import KINDS
    from casemgr.people.models import ErasureReason
    from casemgr.people.relations import ConsentGiver, ConsentScope, LinkReason, UnlinkReason
    from casemgr.programmes.models import ActivityKind, Finding
    from casemgr.reference.data import TARGET_GROUPS
    from casemgr.reports.filters import REPORTS
    from casemgr.supervision.models import ReassignReason
    from casemgr.support.catalogue import SERVICE_TYPES
    from casemgr.support.models.points import ServicePointKind
    from casemgr.support.models.referrals import ReferralStatus
    from casemgr.support.models.trafficking import VictimStatus
    from casemgr.tokens.models import TokenScope

    def each(action: str, values) -> list[tuple[str, str]]:
        return [(action, str(value)) for value in values]

    moves = [*BY_NAME, *COMBINED_BY_NAME]
    consents = [f"{scope}:{giver}" for scope in ConsentScope for giver in ConsentGiver]
    scopes = [" ".join(str(s) for s in TokenScope if s != TokenScope.INTAKE), "intake"]
    erasures = [
        (action, str(reason))
        for action in ("person.erasure_requested", "person.erased", "person.erasure_cancelled")
        for reason in ErasureReason
    ]
    groups = [group for group, *_ in TARGET_GROUPS]
    exports = [f"{report} {file_format}" for report in REPORTS for file_format in ("csv", "xlsx")]
    return {
        "admin/services.py|f'{role}@{unit.code}'": [("user.role_add", f"{r}@C01") for r in Role],
        "admin/services.py|f'{assignment.role}@{assignment.unit.code}'": [
            ("user.role_remove", f"{r}@C01") for r in Role
        ],
        "admin/services.py|f'open cases: {owned}' if owned else None": [
            ("user.disable", "open cases: 3")
        ],
        # The API endpoint a token was used on: a route's name, as a refused page's object id.
        "api/access.py|request.endpoint": AS_RECORDED,
        "api/access.py|checked.refusal": each(
            "api.token_refused", _returned("tokens/services.py", "check_token")
        ),
        "api/access.py|str(missing)": each("access.denied", [*TokenScope, *Action]),
        "audit/services.py|str(first.kind) if first else None": each("audit.verify", ProblemKind),
        "audit/services.py|f'archived {first_seq}-{upto}'": [("audit.archive", "archived 1-500")],
        "audit/views.py|f'{result.total}'": [("audit.scan", "3")],
        "cases/services.py|name": each("case.transition", moves),
        "cases/services.py|str(grant.reason_type)": each("case.break_glass", BreakGlassReason),
        "cases/services.py|f'user:{worker.id}'": [
            ("case.co_worker_add", "user:5"),
            ("case.co_worker_remove", "user:5"),
        ],
        # IntegrityFailure's default; its other reasons are read where they are given.
        "crypto/fields.py|failure.reason": [("crypto.integrity_failure", "bad value")],
        "groups/services.py|str(programme.escalation_reason)": each(
            "drugs.escalate", EscalationReason
        ),
        "groups/services.py|str(decision)": each("no_contact.decide", NoContactDecision),
        "jobs/duties.py|detail[:200]": [("duty.run", '{"failed_jobs":0,"requeued":2}')],
        "jobs/services.py|kind": each("job.start", KINDS),
        "jobs/services.py|job.kind": each("job.download", KINDS) + each("job.retry", KINDS),
        "org/areas.py|f'{len(provinces)}/{communes}'": [("areas.load", "34/3321")],
        "org/areas.py|str(rows)": [("areas.load_legacy", "120")],
        "org/services.py|f'successor={successor.id}'": [("unit.close", "successor=5")],
        "people/queries.py|f'people list page {page}'": [("person.list", "people list page 3")],
        "people/registration.py|f'{consent.scope}:{consent.given_by}'": (
            each("person.consent_add", consents) + each("person.consent_withdraw", consents)
        ),
        "people/registration.py|f'different_from:{other_id}'": [
            ("person.distinct", "different_from:12")
        ],
        # A same-person link, its removal and the comparison before either (people.links).
        "people/links.py|f'same_as:{other.id} {reason}'": [
            *each("person.link", [f"same_as:12 {reason}" for reason in LinkReason]),
            ("person.link", "same_as:12"),  # recorded without a reason before 2026-12-08
        ],
        "people/links.py|f'not_same_as:{other.id} {reason}'": each(
            "person.unlink", [f"not_same_as:12 {reason}" for reason in UnlinkReason]
        ),
        "people/links.py|f'compare_with:{other.id}'": [("person.link_compare", "compare_with:12")],
        "people/services.py|str(request.reason)": erasures,
        "programmes/services.py|group_code": each("programme.create", groups),
        "programmes/services.py|f'model {model.id}'": [("programme.enrol", "model 3")],
        "programmes/services.py|f'model {enrolment.model_id}'": [("programme.leave", "model 3")],
        "programmes/services.py|f'model {model.id} not open to the case'": [
            ("programme.enrol", "model 3 not open to the case")
        ],
        "programmes/services.py|f'model {model.id}: {kind}'": each(
            "programme.activity", [f"model 3: {kind}" for kind in ActivityKind]
        ),
        "programmes/services.py|f'model {model.id}: {finding}'": each(
            "programme.visit", [f"model 3: {finding}" for finding in Finding]
        ),
        "programmes/services.py|str(year)": [("programme.targets", "2026")],
        # record_export(user, what, file_format): the report pages' reports and formats, and
        # the two files the report views name (reports.views).
        "reports/exports.py|f'{what} {file_format}'": each(
            "report.export",
            [*exports, "provincial full.xlsx", "person list xlsx (password protected)"],
        ),
        "reports/services.py|f'{report} monitoring'": each(
            "report.monitoring", [f"{report} monitoring" for report in REPORTS]
        ),
        "support/letters.py|refusal": each(
            "referral.letter", _returned("support/policy.py", "letter_refusal")
        ),
        "support/referrals.py|str(referral.status)": each(
            "referral.answer", [ReferralStatus.ACCEPTED, ReferralStatus.DECLINED]
        ),
        "support/services.py|f'{service_type.group_code}:{service_type.code}'": [
            ("service.deliver", f"{group}:{code}") for group, code, *_ in SERVICE_TYPES
        ],
        "support/services.py|str(status)": each("trafficking.status_add", VictimStatus),
        "support/services.py|str(point.kind)": each("service_point.create", ServicePointKind),
        "supervision/services.py|str(reason)": each("case.reassign", ReassignReason),
        "tokens/services.py|token.scopes.replace(',', ' ')": each("token.create", scopes),
        "web/access.py|str(action)": each("access.denied", Action),
    }


def collect_reason_sites() -> set[str]:
    """Every reason built at a recording call in casemgr/, as "path|source text"."""
    found: set[str] = set()
    for path in sorted(ROOT.rglob("*.py")):
        walk = _Walk(path.name)
        walk.visit(ast.parse(path.read_text(encoding="utf-8")))
        found |= {f"{path.relative_to(ROOT)}|{site}" for site in walk.reason_sites}
    return found


def test_every_reason_built_at_the_call_has_a_label(app):
    found = collect_reason_sites()
    sources = _reason_sources()
    assert "admin/services.py|f'{role}@{unit.code}'" in found  # the walk reads them
    unknown = sorted(found - set(sources))
    assert unknown == [], f"reasons built at the call: add samples to _reason_sources: {unknown}"
    assert sorted(set(sources) - found) == [], "_reason_sources names a call no longer there"
    raw, untranslated = [], []
    for site, samples in sources.items():
        if samples == AS_RECORDED:
            continue
        assert samples, site
        for action, code in samples:
            with app.test_request_context():
                with force_locale("vi"):
                    vi = labels.reason_label(code, action)
                with force_locale("en"):
                    en = labels.reason_label(code, action)
            if vi == code:
                raw.append(f"{action}: {code}")
            elif vi == en:
                untranslated.append(f"{action}: {code} ({vi})")
    assert raw == [], f"reasons shown as recorded (add them to audit/labels.py): {raw}"
    assert untranslated == [], f"reasons without Vietnamese: {untranslated}"

"""The service catalogue of each target group (seed data), and its idempotent loader."""

from __future__ import annotations

from sqlalchemy import select

from casemgr.extensions import db
from casemgr.support.models import ServiceType

# (group, code, Vietnamese, English), in the order forms list them. Trafficking codes are the
# letters of Law 53/2024 (DOMAIN.md §2.2) so that eligibility rules can name them.
SERVICE_TYPES: tuple[tuple[str, str, str, str], ...] = (
    ("trafficking", "a", "Hỗ trợ nhu cầu thiết yếu", "Essential needs"),
    ("trafficking", "b", "Hỗ trợ y tế", "Medical support"),
    ("trafficking", "c", "Hỗ trợ phiên dịch", "Interpretation"),
    ("trafficking", "d", "Cung cấp thông tin pháp luật", "Legal information"),
    ("trafficking", "đ", "Trợ giúp pháp lý", "Legal aid"),
    ("trafficking", "e", "Hỗ trợ chi phí đi lại", "Travel costs"),
    ("trafficking", "g", "Hỗ trợ tâm lý", "Psychological support"),
    ("trafficking", "h", "Hỗ trợ giáo dục phổ thông", "General education"),
    (
        "trafficking",
        "i",
        "Hỗ trợ học nghề, tư vấn việc làm",
        "Vocational training and job counselling",
    ),
    (
        "trafficking",
        "k",
        "Trợ cấp khó khăn ban đầu, hỗ trợ vay vốn",
        "Initial-hardship allowance and loans",
    ),
    ("sex_work", "harm_reduction", "Can thiệp giảm tác hại", "Harm reduction"),
    (
        "sex_work",
        "hiv_testing",
        "Xét nghiệm HIV và kết nối điều trị",
        "HIV testing and linkage to care",
    ),
    ("sex_work", "counselling", "Tư vấn", "Counselling"),
    ("sex_work", "income_generation", "Hỗ trợ tạo thu nhập", "Income generation"),
    ("sex_work", "vocational_loan", "Hỗ trợ học nghề, vay vốn", "Vocational training and loans"),
    (
        "drugs",
        "stage_intake",
        "Giai đoạn 1: tiếp nhận, phân loại",
        "Stage 1: intake and assessment",
    ),
    (
        "drugs",
        "stage_detox",
        "Giai đoạn 2: điều trị cắt cơn, giải độc, điều trị rối loạn tâm thần và bệnh lý khác",
        "Stage 2: detoxification, treatment of mental and other disorders",
    ),
    (
        "drugs",
        "stage_behaviour",
        "Giai đoạn 3: giáo dục, tư vấn, phục hồi hành vi, nhân cách",
        "Stage 3: education, counselling, behavioural recovery",
    ),
    (
        "drugs",
        "stage_labour",
        "Giai đoạn 4: lao động trị liệu, học nghề",
        "Stage 4: labour therapy and vocational training",
    ),
    (
        "drugs",
        "stage_reintegration",
        "Giai đoạn 5: chuẩn bị tái hòa nhập cộng đồng",
        "Stage 5: preparing for reintegration",
    ),
    ("drugs", "drug_test", "Xét nghiệm chất ma túy", "Drug test"),
    (
        "drugs",
        "substitution_therapy",
        "Điều trị nghiện bằng thuốc thay thế",
        "Opioid substitution therapy",
    ),
    ("drugs", "counselling", "Tư vấn", "Counselling"),
    ("drugs", "hiv_testing", "Xét nghiệm HIV và kết nối điều trị", "HIV testing and linkage"),
    ("drugs", "vocational_support", "Hỗ trợ học nghề, việc làm", "Vocational and job support"),
    ("drugs", "relapse_prevention", "Phòng, chống tái nghiện", "Relapse prevention"),
    ("violence", "counselling", "Tư vấn, hỗ trợ tâm lý", "Counselling"),
    ("violence", "shelter", "Bố trí nơi tạm lánh", "Shelter"),
    ("violence", "medical", "Chăm sóc y tế", "Medical care"),
    ("violence", "legal_aid", "Trợ giúp pháp lý", "Legal aid"),
    ("child", "care", "Chăm sóc, nuôi dưỡng", "Care"),
    ("child", "health", "Chăm sóc sức khỏe", "Health"),
    ("child", "education", "Hỗ trợ giáo dục", "Education"),
    ("child", "psychosocial", "Hỗ trợ tâm lý - xã hội", "Psychosocial support"),
    ("child", "legal", "Trợ giúp pháp lý", "Legal support"),
    ("child", "alternative_care", "Chăm sóc thay thế", "Alternative care"),
)


def load_service_catalogue() -> int:
    """Insert new service types and refresh names and order (nothing deleted); return the count.

    Needs the target groups (reference data) loaded first.
    """
    existing = {(s.group_code, s.code): s for s in db.session.scalars(select(ServiceType))}
    for order, (group, code, name_vi, name_en) in enumerate(SERVICE_TYPES):
        row = existing.get((group, code))
        if row is None:
            db.session.add(
                ServiceType(
                    group_code=group, code=code, name_vi=name_vi, name_en=name_en, sort_order=order
                )
            )
        else:
            row.name_vi, row.name_en, row.sort_order = name_vi, name_en, order
    db.session.flush()
    return len(SERVICE_TYPES)

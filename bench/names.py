"""Synthetic Vietnamese names, identifiers and texts for the bench province (no real data)."""

from __future__ import annotations

import random

# Surnames with roughly their share of the population (Nguyễn ~38%).
SURNAMES = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 4, "Huỳnh": 1.5, "Phan": 4.5,
    "Vũ": 3, "Võ": 1.5, "Đặng": 2, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1,
    "Lý": 0.5, "Đinh": 0.7, "Trương": 0.7, "Lương": 0.5, "Mai": 0.4, "Tạ": 0.3, "Lò": 0.2,
    "Hà": 0.5, "Cao": 0.4,
}  # fmt: skip
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Phương", "Minh"]
MIDDLE_MALE = ["Văn", "Văn", "Văn", "Đức", "Hữu", "Minh", "Quốc", "Thanh", "Xuân", "Công"]
_FEMALE = (
    "An Anh Ánh Bích Chi Dung Duyên Giang Hà Hạnh Hằng Hiền Hoa Huệ Hương Lan Liên Linh Loan Mai "
    "Minh Nga Ngân Ngọc Nhung Oanh Phương Quyên Quỳnh Tâm Thảo Thơ Thủy Thư Trang Trâm Uyên Vân "
    "Vy Xuân Yến"
)
_MALE = (
    "An Bảo Bình Cường Dũng Duy Đạt Đông Giang Hải Hào Hiếu Hòa Hoàng Hùng Huy Khải Khang Khánh "
    "Khoa Kiên Lâm Long Lộc Luân Minh Nam Nghĩa Nhân Phát Phong Phúc Quân Quang Sơn Tài Tâm Thắng "
    "Thành Thiện Toàn Trí Trung Tuấn Tùng Việt Vinh"
)
GIVEN_FEMALE = [*_FEMALE.split(), "Ánh Nguyệt", "Bảo Ngọc", "Khánh Linh", "Thu Hà", "Mai Anh"]
GIVEN_MALE = [*_MALE.split(), "Gia Bảo", "Minh Khôi", "Đức Anh", "Hoàng Nam", "Quốc Huy"]
SUMMARIES = [
    "Hàng xóm báo tin: trẻ thường bị bỏ đói, nghỉ học từ tháng {m}.",
    "Nhà trường thông báo trẻ có vết bầm tím ở tay, nghỉ học nhiều buổi.",
    "Mẹ đến UBND xã trình báo bị chồng đánh; con {age} tuổi chứng kiến.",
    "Trẻ mồ côi cha, sống với bà ngoại {age0} tuổi, không có thu nhập ổn định.",
    "Công an xã chuyển tin: trẻ lang thang ở chợ, không có người giám hộ.",
    "Trạm y tế phát hiện trẻ suy dinh dưỡng nặng, gia đình thuộc hộ nghèo.",
    "Người được hỗ trợ trở về từ biên giới, cần giấy tờ tùy thân và việc làm.",
    "Tự nguyện đăng ký cai nghiện tại cộng đồng, gia đình đồng ý hỗ trợ.",
]
NOTES = [
    "Thăm nhà lần {n}: trẻ đi học đều, bà ngoại hợp tác; tiếp tục theo dõi.",
    "Gọi điện cho nhà trường xác minh thông tin; cô chủ nhiệm xác nhận trẻ nghỉ học {d} buổi.",
    "Họp với gia đình và trưởng thôn, thống nhất kế hoạch hỗ trợ học phí và bữa trưa.",
    "Người được hỗ trợ đến trạm y tế xét nghiệm định kỳ, kết quả âm tính; tiếp tục tư vấn.",
    "Hội Phụ nữ xã đến thăm, hướng dẫn thủ tục vay vốn hộ nghèo; gia đình đã nộp hồ sơ.",
    "Trao đổi qua điện thoại: mẹ cho biết bố không còn uống rượu, không tái diễn bạo lực.",
]
SERVICE_NOTES = [
    "Hỗ trợ {k} kg gạo và nhu yếu phẩm.",
    "Tư vấn tâm lý tại nhà, {k} buổi.",
    "Miễn học phí học kỳ {k}.",
    "Khám sức khỏe tại trạm y tế xã.",
]


class NameMaker:
    """Surname by frequency, middle and given names by sex; identifiers unique by construction."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = list(SURNAMES)
        self.weights = list(SURNAMES.values())

    def person(self, serial: int) -> dict:
        """Plaintexts and plain facts of one synthetic person (serial makes the ids unique)."""
        rng = self.rng
        female = rng.random() < 0.52
        surname = rng.choices(self.surnames, self.weights)[0]
        middle = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        return {
            "sex": "female" if female else "male",
            "surname": surname,
            "middle_name": middle,
            "given_name": given,
            # 12-digit citizen id: province code 045 (Quảng Trị), sex/century digit, serial.
            "national_id": f"045{1 if female else 0}{rng.randrange(60, 99):02d}{serial:06d}",
            "phone": f"09{rng.randrange(10):d}{serial:07d}",
        }

    def summary(self) -> str:
        rng = self.rng
        return rng.choice(SUMMARIES).format(
            m=rng.randint(1, 12), age=rng.randint(3, 15), age0=rng.randint(60, 85)
        )

    def note(self) -> str:
        return self.rng.choice(NOTES).format(n=self.rng.randint(1, 30), d=self.rng.randint(2, 9))

    def service_note(self) -> str:
        return self.rng.choice(SERVICE_NOTES).format(k=self.rng.randint(1, 20))

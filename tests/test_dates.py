"""Tests for the dates stage: exact TIMEX3 values on real-looking news sentences, traps, invariants."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dates import DateMention, find_dates

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
JUL19 = datetime(2024, 7, 19)
NOV30 = datetime(2024, 11, 30, 12, 24)
OCT1 = datetime(2024, 10, 1)
JAN5 = datetime(2025, 1, 5)

# (text, anchor, [(span text, type, value, grain)])
CASES: list[tuple[str, datetime | date | None, list[tuple[str, str, str, str]]]] = [
    # year-less day/month, tense from the sentence
    (
        "Ngày 18/7, Chủ tịch Triều Tiên Kim Jong Un đã tiếp phái đoàn quân sự Nga.",
        JUL19,
        [("Ngày 18/7", "DATE", "2024-07-18", "day")],
    ),
    (
        "Trước đó, hôm 8/7, một phái đoàn quân sự Triều Tiên đã đến thăm Nga.",
        JUL19,
        [("hôm 8/7", "DATE", "2024-07-08", "day")],
    ),
    (
        "Ngày 19/6 vừa qua, Tổng thống Nga Vladimir Putin đã có chuyến thăm Triều Tiên.",
        JUL19,
        [("Ngày 19/6 vừa qua", "DATE", "2024-06-19", "day")],
    ),
    (
        "Theo RIA Novosti ngày 30/11, Bộ trưởng Belousov cho biết.",
        NOV30,
        [("ngày 30/11", "DATE", "2024-11-30", "day")],
    ),
    (
        "Hội nghị sẽ diễn ra vào ngày 20/7 tại Hà Nội.",
        JUL19,
        [("ngày 20/7", "DATE", "2024-07-20", "day")],
    ),
    (
        "Hội nghị dự kiến khai mạc ngày 10/1 tại Hà Nội.",
        JUL19,
        [("ngày 10/1", "DATE", "2025-01-10", "day")],
    ),
    (
        "Giải đấu đã khép lại hôm 25/12 với chiến thắng của đội chủ nhà.",
        JAN5,
        [("hôm 25/12", "DATE", "2024-12-25", "day")],
    ),
    (
        "Lễ ký kết diễn ra ngày 2/1 tại Hà Nội.",
        datetime(2024, 12, 30),
        [("ngày 2/1", "DATE", "2025-01-02", "day")],
    ),
    (
        "Dự án được khởi công ngày 28/12.",
        JAN5,
        [("ngày 28/12", "DATE", "2024-12-28", "day")],
    ),
    (
        "Sáng 15/7, Thủ tướng chủ trì cuộc họp trực tuyến.",
        JUL19,
        [("Sáng 15/7", "DATE", "2024-07-15", "day")],
    ),
    (
        "Chiều 17/7, đoàn công tác đã làm việc với tỉnh Quảng Ninh.",
        JUL19,
        [("Chiều 17/7", "DATE", "2024-07-17", "day")],
    ),
    (
        "Tối 18/7 (giờ địa phương), hai bên ra tuyên bố chung.",
        JUL19,
        [("Tối 18/7", "DATE", "2024-07-18", "day")],
    ),
    (
        "Đêm 14/7, mưa lớn gây ngập nhiều tuyến phố.",
        JUL19,
        [("Đêm 14/7", "DATE", "2024-07-14", "day")],
    ),
    (
        "Trưa 16/7, lực lượng cứu hộ đã tiếp cận hiện trường.",
        JUL19,
        [("Trưa 16/7", "DATE", "2024-07-16", "day")],
    ),
    (
        "Kỳ họp thứ 8 sẽ khai mạc ngày 21/10 tới.",
        OCT1,
        [("ngày 21/10 tới", "DATE", "2024-10-21", "day")],
    ),
    (
        "Cuộc bầu cử được tổ chức ngày 5/11 năm nay.",
        OCT1,
        [("ngày 5/11 năm nay", "DATE", "2024-11-05", "day")],
    ),
    (
        "Thỏa thuận được ký ngày 12/3 năm ngoái.",
        OCT1,
        [("ngày 12/3 năm ngoái", "DATE", "2023-03-12", "day")],
    ),
    (
        "Ngày 29/2, nhiều cặp đôi chọn đăng ký kết hôn.",
        JUL19,
        [("Ngày 29/2", "DATE", "2024-02-29", "day")],
    ),
    (
        "Lễ kỷ niệm diễn ra ngày 19 tháng 6 năm 2024 tại Thủ đô.",
        JUL19,
        [("ngày 19 tháng 6 năm 2024", "DATE", "2024-06-19", "day")],
    ),
    (
        "Ngày 2 tháng 9 năm 1945, Chủ tịch Hồ Chí Minh đọc Tuyên ngôn Độc lập.",
        JUL19,
        [("Ngày 2 tháng 9 năm 1945", "DATE", "1945-09-02", "day")],
    ),
    (
        "Ngày 5 tháng 7 vừa qua, công ty đã công bố kết quả kinh doanh.",
        JUL19,
        [("Ngày 5 tháng 7 vừa qua", "DATE", "2024-07-05", "day")],
    ),
    # full dates
    (
        "Thỏa thuận được ký ngày 19/6/2024 trong chuyến thăm Bình Nhưỡng.",
        NOV30,
        [("ngày 19/6/2024", "DATE", "2024-06-19", "day")],
    ),
    (
        "Cuộc duyệt binh trên Quảng trường Đỏ vào ngày 9/5/2025.",
        NOV30,
        [("ngày 9/5/2025", "DATE", "2025-05-09", "day")],
    ),
    (
        "Báo Nhân Dân số ra ngày 19-6-2024 đăng bài xã luận.",
        None,
        [("ngày 19-6-2024", "DATE", "2024-06-19", "day")],
    ),
    (
        "Văn bản có hiệu lực từ 19.6.2024.",
        None,
        [("19.6.2024", "DATE", "2024-06-19", "day")],
    ),
    (
        "Hôm 01/03/2023, Bộ Y tế ban hành hướng dẫn mới.",
        None,
        [("Hôm 01/03/2023", "DATE", "2023-03-01", "day")],
    ),
    (
        "Báo Quốc Tế19/07/2024",
        JUL19,
        [("19/07/2024", "DATE", "2024-07-19", "day")],
    ),
    # months
    (
        "Cuộc gặp thượng đỉnh Triều Tiên-Nga hồi tháng 6 vừa qua tại Bình Nhưỡng.",
        JUL19,
        [("tháng 6 vừa qua", "DATE", "2024-06", "month")],
    ),
    (
        "Ông bắt đầu nhiệm kỳ từ tháng 6/2024.",
        JUL19,
        [("tháng 6/2024", "DATE", "2024-06", "month")],
    ),
    (
        "Dự án được phê duyệt vào tháng 10/2016.",
        None,
        [("tháng 10/2016", "DATE", "2016-10", "month")],
    ),
    (
        "Hiệp định có hiệu lực từ tháng 8 năm 2020.",
        None,
        [("tháng 8 năm 2020", "DATE", "2020-08", "month")],
    ),
    (
        "Giá xăng đã tăng mạnh trong tháng 3.",
        JUL19,
        [("tháng 3", "DATE", "2024-03", "month")],
    ),
    (
        "Bộ sẽ trình dự thảo luật vào tháng 3.",
        JUL19,
        [("tháng 3", "DATE", "2025-03", "month")],
    ),
    (
        "Kết quả được công bố hồi tháng Sáu.",
        JUL19,
        [("tháng Sáu", "DATE", "2024-06", "month")],
    ),
    (
        "Số liệu thống kê quý 3/2024 cho thấy tăng trưởng khả quan.",
        NOV30,
        [("quý 3/2024", "DATE", "2024-Q3", "quarter")],
    ),
    (
        "Doanh thu quý II năm 2023 giảm nhẹ.",
        None,
        [("quý II năm 2023", "DATE", "2023-Q2", "quarter")],
    ),
    # years, ranges, decades, centuries
    (
        "Tình hữu nghị được tăng cường trong thời kỳ giải phóng Triều Tiên năm 1945.",
        NOV30,
        [("năm 1945", "DATE", "1945", "year")],
    ),
    (
        "Các trận chiến trong Chiến tranh giải phóng Tổ quốc 1950-1953.",
        NOV30,
        [("1950-1953", "DATE", "1950/1953", "year")],
    ),
    (
        "Kế hoạch phát triển giai đoạn 2021-2025 đã được thông qua.",
        None,
        [("giai đoạn 2021-2025", "DATE", "2021/2025", "year")],
    ),
    (
        "Ông giữ chức vụ này từ năm 1998 đến năm 2003.",
        None,
        [("từ năm 1998 đến năm 2003", "DATE", "1998/2003", "year")],
    ),
    (
        "Anh Nguyễn Văn A (SN 1994, trú tại Hà Đông) bị bắt giữ.",
        None,
        [("SN 1994", "DATE", "1994", "year")],
    ),
    (
        "Ca sĩ sinh năm 1994 tại Nghệ An.",
        None,
        [("năm 1994", "DATE", "1994", "year")],
    ),
    (
        "Phong trào này phát triển mạnh vào thập niên 1990.",
        None,
        [("thập niên 1990", "DATE", "199", "decade")],
    ),
    (
        "Ngôi nhà được xây dựng từ những năm 80.",
        None,
        [("những năm 80", "DATE", "198", "decade")],
    ),
    (
        "Công trình kiến trúc có từ thế kỷ 19.",
        None,
        [("thế kỷ 19", "DATE", "18", "century")],
    ),
    (
        "Đây là thách thức lớn của thế kỷ XXI.",
        None,
        [("thế kỷ XXI", "DATE", "20", "century")],
    ),
    # relative years, months, weeks, days
    (
        "Năm tới, Nga và Triều Tiên sẽ kỷ niệm sự kiện quan trọng.",
        NOV30,
        [("Năm tới", "DATE", "2025", "year")],
    ),
    (
        "Năm nay, kim ngạch xuất khẩu dự kiến đạt kỷ lục.",
        JUL19,
        [("Năm nay", "DATE", "2024", "year")],
    ),
    (
        "So với năm ngoái, lượng khách quốc tế tăng mạnh.",
        JUL19,
        [("năm ngoái", "DATE", "2023", "year")],
    ),
    (
        "Kết quả này cao hơn năm trước.",
        JUL19,
        [("năm trước", "DATE", "2023", "year")],
    ),
    (
        "Dự án sẽ hoàn thành vào năm sau.",
        JUL19,
        [("năm sau", "DATE", "2025", "year")],
    ),
    (
        "Tháng trước, ngân hàng đã điều chỉnh lãi suất.",
        JUL19,
        [("Tháng trước", "DATE", "2024-06", "month")],
    ),
    (
        "Giá vàng có thể tiếp tục tăng trong tháng tới.",
        datetime(2024, 12, 15),
        [("tháng tới", "DATE", "2025-01", "month")],
    ),
    (
        "Tuần trước, hai bên đã có cuộc điện đàm.",
        JUL19,
        [("Tuần trước", "DATE", "2024-W28", "week")],
    ),
    (
        "Tuần tới, Quốc hội sẽ thảo luận dự án luật.",
        JUL19,
        [("Tuần tới", "DATE", "2024-W30", "week")],
    ),
    (
        "Tuần này, thời tiết miền Bắc chuyển lạnh.",
        datetime(2024, 12, 30),
        [("Tuần này", "DATE", "2025-W01", "week")],
    ),
    (
        "Hôm qua, Bộ Ngoại giao đã lên tiếng.",
        JUL19,
        [("Hôm qua", "DATE", "2024-07-18", "day")],
    ),
    (
        "Hôm nay, hàng nghìn thí sinh bước vào kỳ thi.",
        JUL19,
        [("Hôm nay", "DATE", "2024-07-19", "day")],
    ),
    (
        "Ngày mai, đoàn sẽ lên đường sang Nhật Bản.",
        datetime(2024, 12, 31),
        [("Ngày mai", "DATE", "2025-01-01", "day")],
    ),
    (
        "Sáng nay, Quốc hội bắt đầu phiên chất vấn.",
        JUL19,
        [("Sáng nay", "DATE", "2024-07-19", "day")],
    ),
    (
        "Tối qua, một trận động đất đã xảy ra ở Nhật Bản.",
        JUL19,
        [("Tối qua", "DATE", "2024-07-18", "day")],
    ),
    (
        "Chiều hôm qua, cảnh sát đã bắt giữ nghi phạm.",
        JUL19,
        [("Chiều hôm qua", "DATE", "2024-07-18", "day")],
    ),
    # times
    (
        "Mỹ Nga 30/11/2024 12:24",
        NOV30,
        [("30/11/2024 12:24", "TIME", "2024-11-30T12:24", "minute")],
    ),
    (
        "Cập nhật lúc 12:24.",
        NOV30,
        [("12:24", "TIME", "2024-11-30T12:24", "minute")],
    ),
    (
        "Buổi lễ bắt đầu lúc 8h30.",
        NOV30,
        [("8h30", "TIME", "2024-11-30T08:30", "minute")],
    ),
    (
        "Vụ cháy xảy ra khoảng 22h.",
        NOV30,
        [("22h", "TIME", "2024-11-30T22:00", "hour")],
    ),
    (
        "Trận đấu diễn ra lúc 7 giờ 30 phút tối.",
        NOV30,
        [("7 giờ 30 phút tối", "TIME", "2024-11-30T19:30", "minute")],
    ),
    (
        "Đến 3 giờ chiều, mưa vẫn chưa ngớt.",
        NOV30,
        [("3 giờ chiều", "TIME", "2024-11-30T15:00", "hour")],
    ),
    (
        "Vào khoảng 8h30 ngày 18/7, xe khách gặp nạn trên đèo.",
        JUL19,
        [("8h30 ngày 18/7", "TIME", "2024-07-18T08:30", "minute")],
    ),
    (
        "Ngày 18/7 lúc 14:05, hệ thống bị gián đoạn.",
        JUL19,
        [("Ngày 18/7 lúc 14:05", "TIME", "2024-07-18T14:05", "minute")],
    ),
    (
        "Khoảng 8 giờ chiều ngày 17/7, vụ tai nạn xảy ra.",
        JUL19,
        [("8 giờ chiều ngày 17/7", "TIME", "2024-07-17T20:00", "hour")],
    ),
    # ranges
    (
        "Ông công tác tại đây từ tháng 10/2016 đến 9/2017.",
        None,
        [("từ tháng 10/2016 đến 9/2017", "DATE", "2016-10/2017-09", "month")],
    ),
    (
        "Hội chợ diễn ra trong các ngày 18-20/9 tại Hà Nội.",
        OCT1,
        [("ngày 18-20/9", "DATE", "2024-09-18/2024-09-20", "day")],
    ),
    (
        "Triển lãm mở cửa từ ngày 5/8 đến ngày 10/8.",
        JUL19,
        [("từ ngày 5/8 đến ngày 10/8", "DATE", "2024-08-05/2024-08-10", "day")],
    ),
    (
        "Lễ hội kéo dài từ 1/5/2025 đến 5/5/2025.",
        None,
        [("từ 1/5/2025 đến 5/5/2025", "DATE", "2025-05-01/2025-05-05", "day")],
    ),
    # durations
    (
        "Lịch sử hai nước đã có gần 8 thập kỷ.",
        NOV30,
        [("gần 8 thập kỷ", "DURATION", "P80Y", "decade")],
    ),
    (
        "Đợt nắng nóng kéo dài 3 ngày.",
        JUL19,
        [("3 ngày", "DURATION", "P3D", "day")],
    ),
    (
        "Chuyến công tác kéo dài hai tuần.",
        JUL19,
        [("hai tuần", "DURATION", "P2W", "week")],
    ),
    (
        "Sau mười lăm ngày điều trị, bệnh nhân đã xuất viện.",
        JUL19,
        [("mười lăm ngày", "DURATION", "P15D", "day")],
    ),
    (
        "Bị cáo lĩnh án mười năm tù.",
        None,
        [("mười năm", "DURATION", "P10Y", "year")],
    ),
    (
        "Giá nhà tăng liên tục trong 6 tháng qua.",
        JUL19,
        [("6 tháng qua", "DURATION", "P6M", "month")],
    ),
    (
        "Công trình sẽ hoàn thành trong 2 năm tới.",
        JUL19,
        [("2 năm tới", "DURATION", "P2Y", "year")],
    ),
    (
        "Cuộc họp kéo dài hơn 3 tiếng.",
        None,
        [("hơn 3 tiếng", "DURATION", "PT3H", "hour")],
    ),
    (
        "Xe cứu thương đến sau 15 phút.",
        None,
        [("15 phút", "DURATION", "PT15M", "minute")],
    ),
    (
        "Lực lượng chức năng làm việc xuyên suốt 48 giờ.",
        None,
        [("48 giờ", "DURATION", "PT48H", "hour")],
    ),
    (
        "Tổng thống đã có ba nhiệm kỳ, tức khoảng một thế kỷ lịch sử.",
        None,
        [("khoảng một thế kỷ", "DURATION", "P100Y", "century")],
    ),
    # sets
    (
        "Lễ hội được tổ chức hàng năm vào dịp đầu xuân.",
        None,
        [("hàng năm", "SET", "P1Y", "year")],
    ),
    (
        "Hằng năm, hàng triệu du khách đến tham quan.",
        None,
        [("Hằng năm", "SET", "P1Y", "year")],
    ),
    (
        "Các em được tập huấn mỗi tuần một buổi.",
        None,
        [("mỗi tuần", "SET", "P1W", "week")],
    ),
    (
        "Bệnh nhân cần uống thuốc hằng ngày.",
        None,
        [("hằng ngày", "SET", "P1D", "day")],
    ),
    (
        "Báo cáo được gửi hàng tháng cho Bộ.",
        None,
        [("hàng tháng", "SET", "P1M", "month")],
    ),
    # no anchor: unknown parts are X
    ("Ngày 19/6, hai bên đã ký hiệp ước.", None, [("Ngày 19/6", "DATE", "XXXX-06-19", "day")]),
    (
        "Cuộc gặp hồi tháng 6 vừa qua rất quan trọng.",
        None,
        [("tháng 6 vừa qua", "DATE", "XXXX-06", "month")],
    ),
    ("Năm tới, hai nước sẽ kỷ niệm sự kiện này.", None, [("Năm tới", "DATE", "XXXX", "year")]),
    ("Hôm qua, trời mưa to.", None, [("Hôm qua", "DATE", "XXXX-XX-XX", "day")]),
    ("Tuần trước, giá vàng giảm.", None, [("Tuần trước", "DATE", "XXXX-WXX", "week")]),
    ("Cập nhật 12:24", None, [("12:24", "TIME", "XXXX-XX-XXT12:24", "minute")]),
    # a plain date anchor works like midnight
    ("Hôm qua, trời mưa to.", date(2024, 3, 1), [("Hôm qua", "DATE", "2024-02-29", "day")]),
    # several in one sentence
    (
        "Từ năm 2020, sản lượng tăng 3 năm liên tiếp và năm nay đạt đỉnh.",
        JUL19,
        [
            ("năm 2020", "DATE", "2020", "year"),
            ("3 năm liên tiếp", "DURATION", "P3Y", "year"),
            ("năm nay", "DATE", "2024", "year"),
        ],
    ),
    # words that look like dates but are not
    ("Ngày nay Triều Tiên là một quốc gia độc lập.", NOV30, []),
    ("Những năm tháng ấy không thể nào quên.", None, []),
    ("Thứ Hai ngày 15/7 là ngày đầu tiên.", JUL19, [("Thứ Hai ngày 15/7", "DATE", "2024-07-15", "day")]),
    ("Năm trước đó, công ty đã lỗ nặng.", JUL19, []),
    ("Hàng năm trời ông chờ đợi.", None, []),
    # weekdays (19/7/2024 is a Friday): with a week, alone (past unless the future is said),
    # before their date (the date gives the value), and "thứ ba" the ordinal is no day
    ("Thứ Hai tuần trước, ông đã đến Hà Nội.", JUL19, [("Thứ Hai tuần trước", "DATE", "2024-07-08", "day")]),
    (
        "Hội nghị sẽ khai mạc vào thứ Năm tuần tới.",
        JUL19,
        [("thứ Năm tuần tới", "DATE", "2024-07-25", "day")],
    ),
    ("Chủ nhật tuần này đội tuyển lên đường.", JUL19, [("Chủ nhật tuần này", "DATE", "2024-07-21", "day")]),
    ("Hôm thứ Ba, đoàn đã tới Bình Nhưỡng.", JUL19, [("thứ Ba", "DATE", "2024-07-16", "day")]),
    ("Ông sẽ về nước vào thứ Hai.", JUL19, [("thứ Hai", "DATE", "2024-07-22", "day")]),
    ("Sáng thứ 2 ông chủ trì cuộc họp.", JUL19, [("Sáng thứ 2", "DATE", "2024-07-15", "day")]),
    ("Thứ Sáu, phiên giao dịch đóng cửa sớm.", JUL19, [("Thứ Sáu", "DATE", "2024-07-19", "day")]),
    ("Vào thứ 5 (18/7), ông Kim đã tiếp đoàn.", JUL19, [("thứ 5 (18/7)", "DATE", "2024-07-18", "day")]),
    ("Chủ nhật, 14/7, trời mưa lớn ở Hà Nội.", JUL19, [("Chủ nhật, 14/7", "DATE", "2024-07-14", "day")]),
    ("Thứ Sáu ngày 19/7 đoàn về nước.", JUL19, [("Thứ Sáu ngày 19/7", "DATE", "2024-07-19", "day")]),
    ("Thứ Hai tuần trước, ông đã đến Hà Nội.", None, [("Thứ Hai tuần trước", "DATE", "XXXX-WXX-1", "day")]),
    ("Đây là lần thứ ba ông đến Việt Nam.", JUL19, []),
    ("Đội tuyển xếp thứ 5 trên bảng xếp hạng.", JUL19, []),
    ("Thứ hai là giá nguyên liệu tăng.", JUL19, []),
    # lower-case month names are months, unless they count ("ba tháng hai ngày")
    ("Hồi tháng sáu, ông đã về quê thăm gia đình.", JUL19, [("tháng sáu", "DATE", "2024-06", "month")]),
    ("Tết tháng giêng năm nay rất vui.", JUL19, [("tháng giêng năm nay", "DATE", "2024-01", "month")]),
    (
        "Vào tháng mười một tới, hội nghị sẽ diễn ra.",
        JUL19,
        [("tháng mười một tới", "DATE", "2024-11", "month")],
    ),
    (
        "Công trình thi công ba tháng hai ngày.",
        JUL19,
        [("ba tháng", "DURATION", "P3M", "month"), ("hai ngày", "DURATION", "P2D", "day")],
    ),
    ("Trong tháng năm vừa qua có nhiều biến động.", JUL19, []),
    # a range's start without a year takes the end's year (or the year before)
    (
        "Triển lãm diễn ra từ 18/7 đến 20/9/2024 tại Hà Nội.",
        JAN5,
        [("từ 18/7 đến 20/9/2024", "DATE", "2024-07-18/2024-09-20", "day")],
    ),
    (
        "Từ tháng 11 đến tháng 2/2024, giá điện tăng hai lần.",
        JAN5,
        [("Từ tháng 11 đến tháng 2/2024", "DATE", "2023-11/2024-02", "month")],
    ),
    # decimal and vague durations (TIMEX3 "X" for an unknown count)
    ("Dự án kéo dài 1,5 năm mới hoàn thành.", JUL19, [("1,5 năm", "DURATION", "P1.5Y", "year")]),
    ("Chỉ sau vài ngày, giá đã tăng gấp đôi.", JUL19, [("vài ngày", "DURATION", "PXD", "day")]),
    ("Nhiều năm qua, ông làm việc ở Nga.", JUL19, [("Nhiều năm qua", "DURATION", "PXY", "year")]),
    ("Năm nay công nhân có nhiều ngày nghỉ.", JUL19, [("Năm nay", "DATE", "2024", "year")]),
    ("Doanh thu đạt 3,2 tỷ đồng.", JUL19, []),
    # half past, to the hour, hours in words, "10g45"; "10g" alone is ten grams
    (
        "Cuộc họp bắt đầu lúc 3 giờ rưỡi chiều.",
        JUL19,
        [("3 giờ rưỡi chiều", "TIME", "2024-07-19T15:30", "minute")],
    ),
    ("Đoàn đến lúc ba giờ rưỡi chiều.", JUL19, [("ba giờ rưỡi chiều", "TIME", "2024-07-19T15:30", "minute")]),
    ("Tàu chạy lúc 11 giờ kém 15.", JUL19, [("11 giờ kém 15", "TIME", "2024-07-19T10:45", "minute")]),
    ("Trận đấu bắt đầu lúc 10g45.", JUL19, [("10g45", "TIME", "2024-07-19T10:45", "minute")]),
    ("Cho thêm 10g muối vào nồi.", JUL19, []),
    # quarters in words and relative to the anchor
    ("Lợi nhuận quý này dự kiến tăng.", JUL19, [("quý này", "DATE", "2024-Q3", "quarter")]),
    ("Kết quả kinh doanh quý trước giảm mạnh.", JAN5, [("quý trước", "DATE", "2024-Q4", "quarter")]),
    ("Doanh thu quý ba năm nay tăng 5%.", JUL19, [("quý ba năm nay", "DATE", "2024-Q3", "quarter")]),
    (
        "Dự án hoàn thành trong quý 4 của năm 2025.",
        JUL19,
        [("quý 4 của năm 2025", "DATE", "2025-Q4", "quarter")],
    ),
    # the first or last months of a year: a half (TIMEX3 "H1") or a range of months
    ("Trong 6 tháng đầu năm nay, GDP tăng 6%.", JUL19, [("6 tháng đầu năm nay", "DATE", "2024-H1", "month")]),
    (
        "9 tháng đầu năm 2023, xuất khẩu giảm mạnh.",
        JUL19,
        [("9 tháng đầu năm 2023", "DATE", "2023-01/2023-09", "month")],
    ),
    (
        "Doanh thu 3 tháng cuối năm ngoái tăng.",
        JUL19,
        [("3 tháng cuối năm ngoái", "DATE", "2023-10/2023-12", "month")],
    ),
    # lists of days: each day is a date of the month that closes the list
    (
        "Trong các ngày 18, 19/7, đoàn đã làm việc tại Hà Nội.",
        JUL19,
        [("các ngày 18", "DATE", "2024-07-18", "day"), ("19/7", "DATE", "2024-07-19", "day")],
    ),
    (
        "Ngày 18 và 19/7/2024 diễn ra hội nghị.",
        JAN5,
        [("Ngày 18", "DATE", "2024-07-18", "day"), ("19/7/2024", "DATE", "2024-07-19", "day")],
    ),
    ("Đội nhà thắng với tỷ số 2, 3/4 trận.", JUL19, []),
    (
        "Hội chợ mở cửa từ 18 đến 20/9/2024.",
        JAN5,
        [("từ 18 đến 20/9/2024", "DATE", "2024-09-18/2024-09-20", "day")],
    ),
]


def _tuples(mentions: list[DateMention]) -> list[tuple[str, str, str, str]]:
    return [(m.text, m.type, m.value, m.grain) for m in mentions]


@pytest.mark.parametrize(("text", "anchor", "expected"), CASES)
def test_find_dates(
    text: str, anchor: datetime | date | None, expected: list[tuple[str, str, str, str]]
) -> None:
    assert _tuples(find_dates(text, anchor=anchor)) == expected


def test_case_table_is_large() -> None:
    assert len(CASES) >= 80


def test_range_fields() -> None:
    (m,) = find_dates("Chiến tranh giải phóng Tổ quốc 1950-1953.", anchor=NOV30)
    assert (m.range_start, m.range_end, m.value) == ("1950", "1953", "1950/1953")
    (m,) = find_dates("từ tháng 10/2016 đến 9/2017")
    assert (m.range_start, m.range_end) == ("2016-10", "2017-09")
    (m,) = find_dates("Ngày 18/7, ông đã đến.")
    assert (m.range_start, m.range_end) == (None, None)


def test_every_mention_carries_the_anchor_given() -> None:
    mentions = find_dates("Năm tới, vào ngày 9/5/2025, lễ kéo dài 3 ngày.", anchor=NOV30)
    assert [m.anchor for m in mentions] == ["2024-11-30T12:24"] * 3
    (m,) = find_dates("Ngày 18/7, ông đã đến.", anchor=date(2024, 7, 19))
    assert m.anchor == "2024-07-19T00:00"
    (m,) = find_dates("Ngày 18/7, ông đã đến.")
    assert m.anchor is None


def test_tense_nearest_marker_wins() -> None:
    text = "Sau khi đã đàm phán nhiều vòng, hai bên sẽ ký hợp đồng vào ngày 10/7."
    # "sẽ" is nearer than "đã": future, so next year's 10 July.
    (m,) = find_dates(text, anchor=JUL19)
    assert m.value == "2025-07-10"


def test_tense_future_markers() -> None:
    # "tới" as the verb "go to" is no future marker; "trong thời gian tới" is.
    (m,) = find_dates("Ông đã tới Hà Nội ngày 18/7.", anchor=JUL19)
    assert m.value == "2024-07-18"
    (m,) = find_dates("Ngày 18/7, ông tới thăm Hà Nội.", anchor=JUL19)
    assert m.value == "2024-07-18"
    (m,) = find_dates("Trong thời gian tới, ngày 18/7 là mốc quan trọng.", anchor=JUL19)
    assert m.value == "2025-07-18"
    (m,) = find_dates("Tổng thống sắp có chuyến thăm vào ngày 5/7.", anchor=JUL19)
    assert m.value == "2025-07-05"


def test_tense_is_read_in_the_same_sentence_only() -> None:
    text = "Hai bên sẽ gặp lại.\nNgày 20/7 là ngày nghỉ."
    (m,) = find_dates(text, anchor=datetime(2024, 7, 25))
    assert m.value == "2024-07-20"


TRAPS = [
    "Lạm phát tăng 12% so với cùng kỳ.",
    "Doanh thu tăng 12,5% trong năm tài chính.",
    "Đội tuyển thắng 2-1 trước đối thủ.",
    "Trận đấu kết thúc với tỷ số 3-0.",
    "Mỗi hộ được hỗ trợ 1/2 triệu đồng.",
    "Tổng vốn đầu tư 3,2 tỷ đồng.",
    "Căn cứ Nghị định 15/2018/NĐ-CP của Chính phủ.",
    "Căn cứ Nghị định 10/2018/NĐ-CP của Chính phủ.",
    "Theo Quyết định số 123/QĐ-UBND của tỉnh.",
    "Công văn 456/BGDĐT gửi các sở.",
    "Cửa hàng ở số 19/6 đường Lê Lợi.",
    "Gia đình sống trong ngõ 12/3 phố Huế.",
    "Máy bay chiến đấu F-16 được chuyển giao.",
    "Apple ra mắt iPhone 15 tại Mỹ.",
    "Mọi thông tin xin liên hệ 0912 345 678.",
    "Nga và Triều Tiên sẽ kỷ niệm 80 năm Chiến thắng trong Chiến tranh Vệ quốc.",
    "Học sinh lớp 10/3 đạt giải nhất.",
    "Bệnh nhân nằm ở phòng 12/5 khoa Nội.",
    "Tỷ lệ 1/3 số phiếu không đủ để thông qua.",
    "Chỉ có tỷ lệ 1/3 cử tri đi bầu.",
    "Theo Thông tư 22/2021/TT-BGDĐT về đánh giá học sinh.",
    "Quốc lộ 1A đoạn qua km 12/3 bị sạt lở.",
    "Khoảng 1/4 diện tích rừng bị cháy, tương đương 2/3 số cây.",
    "Tỷ số 2:1 nghiêng về đội khách.",
    "Chào mừng 50 năm thống nhất đất nước.",
]


@pytest.mark.parametrize("text", TRAPS)
def test_traps_give_no_dates(text: str) -> None:
    assert find_dates(text, anchor=JUL19) == []


def test_birth_year_after_sn_is_a_year() -> None:
    assert _tuples(find_dates("Nguyễn Văn B (SN 1994)")) == [("SN 1994", "DATE", "1994", "year")]


def test_invalid_dates_do_not_match() -> None:
    for text in ("ngày 32/7", "ngày 31/4", "ngày 30/2", "ngày 12/13", "tháng 13/2024", "năm 3024"):
        assert find_dates(text, anchor=JUL19) == [], text


def _check_invariants(text: str, mentions: list[DateMention]) -> None:
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)
    for a, b in itertools.pairwise(mentions):
        assert a.end <= b.start


@pytest.mark.parametrize(("text", "anchor", "expected"), CASES)
def test_invariants_on_cases(
    text: str, anchor: datetime | date | None, expected: list[tuple[str, str, str, str]]
) -> None:
    _check_invariants(text, find_dates(text, anchor=anchor))


_DATEISH = st.sampled_from(
    [
        *"0123456789/.-:, \n%h",
        *("ngày ", "tháng ", "năm ", "hôm ", "tuần ", "qua", "tới", "sẽ ", "đã ", "từ ", " đến "),
        *("giờ ", "sáng ", "hàng ", "gần ", "thập kỷ", "Nghị định ", "số ", "lúc "),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=200), st.lists(_DATEISH, max_size=40).map("".join)),
    st.sampled_from([None, JUL19, NOV30, date(2000, 2, 29), datetime(1, 1, 1), date(9999, 12, 31)]),
)
def test_never_raises_and_offsets_slice_back(text: str, anchor: datetime | date | None) -> None:
    _check_invariants(text, find_dates(text, anchor=anchor))


def _body_pairs(name: str, anchor: datetime) -> set[tuple[str, str]]:
    text = (RAW / name).read_text(encoding="utf-8")
    cut = text.find("\nNguồn:")
    body_end = cut if cut >= 0 else len(text)
    mentions = find_dates(text, anchor=anchor)
    _check_invariants(text, mentions)
    return {(m.text, m.value) for m in mentions if m.end <= body_end}


def test_article_000() -> None:
    assert _body_pairs("000_7f6af634dd5a9d66.txt", JUL19) == {
        ("19/07/2024", "2024-07-19"),
        ("Ngày 18/7", "2024-07-18"),
        ("ngày 18/7", "2024-07-18"),
        ("tháng 6 vừa qua", "2024-06"),
        ("hôm 8/7", "2024-07-08"),
        ("Ngày 19/6 vừa qua", "2024-06-19"),
    }


def test_article_003() -> None:
    pairs = _body_pairs("003_18ad292a2e988f66.txt", NOV30)
    assert pairs == {
        ("30/11/2024 12:24", "2024-11-30T12:24"),
        ("ngày 30/11", "2024-11-30"),
        ("gần 8 thập kỷ", "P80Y"),
        ("năm 1945", "1945"),
        ("1950-1953", "1950/1953"),
        ("Năm tới", "2025"),
        ("ngày 9/5/2025", "2025-05-09"),
        ("ngày 19/6/2024", "2024-06-19"),
    }
    assert not any("80 năm" in text for text, _ in pairs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cuối tháng 6 vừa qua, ông đã về nước.", [("Cuối tháng 6 vừa qua", "2024-06", "END")]),
        ("Đầu năm 2025, dự án sẽ khởi công.", [("Đầu năm 2025", "2025", "START")]),
        ("Giữa tuần tới, đoàn sẽ lên đường.", [("Giữa tuần tới", "2024-W30", "MID")]),
        ("Quan hệ hai nước đã trải qua gần 8 thập kỷ.", [("gần 8 thập kỷ", "P80Y", "APPROX")]),
        ("Ông bị tạm giam khoảng 3 ngày.", [("khoảng 3 ngày", "P3D", "APPROX")]),
        ("Dự án chậm tiến độ hơn 2 năm.", [("hơn 2 năm", "P2Y", "MORE_THAN")]),
        ("Phải mất ít nhất 5 năm để hoàn thành.", [("ít nhất 5 năm", "P5Y", "EQUAL_OR_MORE")]),
        ("Ông đã công tác 3 năm ở Nga.", [("3 năm", "P3Y", None)]),
    ],
)
def test_modifiers(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert [(m.text, m.value, m.mod) for m in find_dates(text, anchor=JUL19)] == expected


def test_duckling_corpus_agreement_does_not_regress() -> None:
    from pipeline import config
    from pipeline.evaluate import duckling_agreement

    corpus = config.SHARED / "data" / "dates" / "duckling-vi-corpus.jsonl"
    if not corpus.is_file():
        pytest.skip(f"{corpus} not found (set VI_NER_SHARED)")
    result = duckling_agreement(corpus)
    assert sum(result["counts"].values()) == 168
    assert result["counts"]["agree"] >= 78  # measured 2026-11-26; raise it as rules land
    by_text = {c["text"]: c for c in result["cases"]}
    assert by_text["hôm qua"]["outcome"] == "agree"
    assert by_text["thứ 2 ngày 6 tháng 2"] == {
        "text": "thứ 2 ngày 6 tháng 2",
        "expected": "2017-02-06",
        "found": ["2017-02-06"],
        "outcome": "agree",
    }

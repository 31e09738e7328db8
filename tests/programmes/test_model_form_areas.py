"""The model form's areas: the provinces in Vietnamese order (casemgr/collation.py)."""

from __future__ import annotations

import re

from casemgr.collation import sort_key


def test_the_model_form_lists_provinces_in_vietnamese_order(client, programmes):
    client.login(programmes.cw.lead)
    page = client.get("/programmes/new").get_data(as_text=True)
    select_html = page[page.index('name="area_ids"') :]
    shown = re.findall(
        r"<option [^>]*>([^<]+)</option>", select_html[: select_html.index("</select>")]
    )
    provinces = [name for name in shown if not name.startswith(("Xã", "Phường", "Đặc khu"))]
    assert "Cà Mau" in provinces and "Cao Bằng" in provinces
    assert provinces == sorted(provinces, key=sort_key)
    assert provinces.index("Cà Mau") < provinces.index("Cao Bằng")
    # Under headings: the provinces, then the communes (one list read as out of order).
    groups = re.findall(r'<optgroup label="([^"]+)"', select_html[: select_html.index("</select>")])
    assert groups[0] == "Tỉnh, thành phố" and set(groups) <= {
        "Tỉnh, thành phố",
        "Xã, phường, đặc khu",
    }

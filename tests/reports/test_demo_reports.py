"""Reports on the demo province, through the web as its supervisors (issue 10 defects)."""

from __future__ import annotations

import io
import re

import openpyxl

from casemgr.clock import today


def test_full_provincial_export_opens(client, demo):
    """Issue 10: the full export was a 500 (IndexError): a breakdown with no data at all (no
    ethnicity recorded in the demo) had no rows, and its total row lost its columns."""
    client.login(demo["demo.lead"])
    # The full report is a background job (run at once in tests); its page leads to the file.
    form = {"report": "registered", "year": str(today().year)}
    response = client.post_form("/reports/full-report", form)
    assert response.status_code == 302
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.get(re.search(r'href="(/jobs/[^"]+/download)"', job_page).group(1))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert len(workbook.sheetnames) == 23
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header, total = rows[1], next(r for r in rows if r[0] in ("Tổng", "Total"))
        assert len([c for c in total if c is not None]) == len([c for c in header if c]), sheet

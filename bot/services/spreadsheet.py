"""CSV files staff open in a spreadsheet program."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    # A cell starting with = + - @ is a formula to spreadsheet programs: make it text.
    writer.writerows([["'" + v if v[:1] in "=+-@" else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")  # a BOM so spreadsheet programs read UTF-8

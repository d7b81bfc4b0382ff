"""CSV files staff open in a spreadsheet program."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    # A cell starting with = + - @ (or a tab or return before one) is a formula to
    # spreadsheet programs: make it text. An empty cell stays empty.
    writer.writerows([["'" + v if v.startswith(FORMULA) else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")  # a BOM so spreadsheet programs read UTF-8

"""DropReport: which dropped frames warn, how often (D39), and the line's content."""

from __future__ import annotations

from relay_proto import (
    DROP_REPORT_BURST,
    DROP_REPORT_WINDOW,
    DROP_UNKNOWN_REPLY,
    MSG_FRAME_DROPPED,
    DropReport,
    FrameDropped,
)


def bad(raw: str = "not json") -> FrameDropped:
    return FrameDropped(reason="invalid JSON", raw=raw)


def test_five_lines_a_minute_then_the_held_back_count() -> None:
    assert (DROP_REPORT_BURST, DROP_REPORT_WINDOW) == (5, 60.0)
    report = DropReport()
    lines = [report.report(bad(), now=100.0 + i) for i in range(8)]
    assert lines[:5] == [f"{MSG_FRAME_DROPPED} (invalid JSON): not json"] * 5
    assert lines[5:] == [None, None, None]
    # Still inside the window that began at 100.0.
    assert report.report(bad(), now=159.9) is None
    line = report.report(bad(), now=160.0)  # a new window
    assert line == f"{MSG_FRAME_DROPPED} (invalid JSON) (4 more not shown): not json"
    # The count was told once.
    assert report.report(bad(), now=161.0) == f"{MSG_FRAME_DROPPED} (invalid JSON): not json"


def test_the_window_starts_at_the_first_line_of_a_quiet_spell() -> None:
    report = DropReport(burst=1, window=10.0)
    assert report.report(bad(), now=0.0) is not None
    assert report.report(bad(), now=9.0) is None
    assert report.report(bad(), now=10.0) is not None
    assert report.report(bad(), now=19.5) is None


def test_a_late_reply_does_not_warn_nor_use_the_budget() -> None:
    report = DropReport(burst=1)
    late = FrameDropped(reason=DROP_UNKNOWN_REPLY, raw='{"id":"1","result":{}}', request_id="1")
    assert not DropReport.warns(late) and DropReport.warns(bad())
    assert report.report(late, now=0.0) is None
    assert report.report(bad(), now=0.0) is not None


def test_the_preview_is_masked() -> None:
    report = DropReport()
    line = report.report(
        bad('{"token": "s3cret-value", "x": 1}'), now=0.0, secrets=["s3cret-value"]
    )
    assert line is not None
    assert "s3cret-value" not in line and '"token": "***"' in line

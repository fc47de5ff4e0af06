from types import SimpleNamespace

from detector.timeline import assign_lanes, format_time


def test_format_time():
    assert format_time(0) == "00:00.0"
    assert format_time(62.46) == "01:02.5"
    assert format_time(3 * 3600 + 61.2) == "3:01:01.2"
    assert format_time(float("nan")) == "?"
    assert format_time(-1.0) == "00:00.0"


def test_assign_lanes_streams_into_the_same_layout():
    spans = [SimpleNamespace(start_time=s, end_time=s + 2.0) for s in (0.0, 1.0, 2.0, 3.0, 4.0)]
    assert assign_lanes(spans) == [0, 1, 0, 1, 0]
    ends: list[float] = []
    streamed = [lane for s in spans for lane in assign_lanes([s], ends)]
    assert streamed == [0, 1, 0, 1, 0] and ends == [6.0, 5.0]

"""The server's log handlers: lines written on a thread of their own, in order, all of them."""

from __future__ import annotations

import io
import logging
import threading

from attribution.api.logs import BackgroundStream, log_config


def test_lines_from_many_threads_are_all_written_in_each_threads_order_by_close() -> None:
    out = io.StringIO()
    handler = BackgroundStream(out)
    handler.setFormatter(logging.Formatter("%(threadName)s %(message)s"))
    logger = logging.getLogger("test.background_stream")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)

    def lines() -> None:
        for i in range(500):
            logger.info("line %d", i)

    threads = [threading.Thread(target=lines, name=f"t{n}") for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        handler.close()
    finally:
        logger.removeHandler(handler)
    written = out.getvalue().splitlines()
    assert len(written) == 2000
    for n in range(4):
        assert [w for w in written if w.startswith(f"t{n} ")] == [
            f"t{n} line {i}" for i in range(500)
        ]


def test_a_closed_stream_stops_the_writer_without_an_error() -> None:
    out = io.StringIO()
    handler = BackgroundStream(out)
    out.close()
    handler.emit(logging.makeLogRecord({"msg": "after"}))
    handler.close()  # returns: the writer thread ended on the closed stream


def test_uvicorn_handlers_write_in_the_background_and_redact_tokens() -> None:
    config = log_config()
    for handler in config["handlers"].values():
        assert handler["class"] == "attribution.api.logs.BackgroundStream"
        assert "redact" in handler["filters"]

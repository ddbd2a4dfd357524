"""The request line and header block the local server reads (RFC 9112's refusals)."""
from __future__ import annotations

import io

import pytest

from workflow.local.protocol.head import MAX_HEADERS, HeadError, read_headers, request_line

pytestmark = pytest.mark.unit


def headers(raw: bytes) -> dict[str, str]:
    return dict(read_headers(io.BufferedReader(io.BytesIO(raw))))


def refusal(raw: bytes) -> int:
    with pytest.raises(HeadError) as caught:
        headers(raw)
    return caught.value.status


def test_request_line() -> None:
    line = request_line(b"PUT /bucket/a%20key?partNumber=1 HTTP/1.1\r\n")
    assert line is not None
    assert (line.method, line.target, line.version, line.persistent) == (
        "PUT", "/bucket/a%20key?partNumber=1", "HTTP/1.1", True)
    assert request_line(b"GET / HTTP/1.0\r\n").persistent is False  # type: ignore[union-attr]
    assert request_line(b"\r\n") is None  # the client closed the connection


@pytest.mark.parametrize("raw, status", [
    (b"GET /\r\n", 400),  # HTTP/0.9
    (b"GET / HTTP/1.1 extra\r\n", 400),
    (b"GET / HTTX/1.1\r\n", 400),
    (b"GET / HTTP/1\r\n", 400),
    (b"GET / HTTP/2.0\r\n", 505),
])
def test_bad_request_lines(raw: bytes, status: int) -> None:
    with pytest.raises(HeadError) as caught:
        request_line(raw)
    assert caught.value.status == status


def test_headers_by_lower_case_name_values_trimmed() -> None:
    got = headers(b"Host: 127.0.0.1:4580\r\nX-Amz-Meta-Color:  blue \r\nContent-Length: 3\r\n\r\nabc")
    assert got == {"host": "127.0.0.1:4580", "x-amz-meta-color": "blue", "content-length": "3"}


def test_a_repeated_header_is_one_comma_separated_value() -> None:
    assert headers(b"Accept: a\r\naccept: b\r\n\r\n") == {"accept": "a, b"}


def test_framing_headers_must_agree() -> None:
    # Two readers could frame the body differently: refused (request smuggling).
    assert refusal(b"Content-Length: 3\r\nContent-Length: 30\r\n\r\n") == 400
    assert refusal(b"Host: a\r\nHost: b\r\n\r\n") == 400
    assert headers(b"Content-Length: 3\r\nContent-Length: 3\r\n\r\n") == {"content-length": "3"}


@pytest.mark.parametrize("raw", [
    b"No colon here\r\n\r\n",
    b"Space-Before-Colon : x\r\n\r\n",
    b"Host: a\r\n folded: continuation\r\n\r\n",
    b": no name\r\n\r\n",
])
def test_malformed_header_lines(raw: bytes) -> None:
    assert refusal(raw) == 400


def test_limits() -> None:
    assert refusal(b"X-Long: " + b"a" * 70000 + b"\r\n\r\n") == 431
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADERS + 1)) + b"\r\n"
    assert refusal(many) == 431
    assert len(headers(b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADERS)) + b"\r\n")) == MAX_HEADERS

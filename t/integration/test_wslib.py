"""wslib's echo server and client against each other, no httpd."""

import time

import pytest

import wslib
from wslib import BINARY, CLOSE, CONT, PING, PONG, TEXT


def test_frames_echo_and_both_sides_record_the_close():
    with wslib.EchoServer() as srv:
        with wslib.Client.connect(srv.port, "/_event",
                                  headers={"Cookie": "a=b", "Origin": "http://x"}) as c:
            assert c.echo(TEXT, "héllo").key() == (True, TEXT, "héllo".encode())
            big = bytes(range(256)) * 300  # 64-bit length
            assert c.echo(BINARY, big).key() == (True, BINARY, big)
            mid = b"m" * 300               # 16-bit length
            assert c.echo(BINARY, mid).key() == (True, BINARY, mid)
            c.send_fragmented(TEXT, [b"ab", b"cd", b"ef"])
            assert [c.recv().key() for _ in range(3)] == \
                [(False, TEXT, b"ab"), (False, CONT, b"cd"), (True, CONT, b"ef")]
            assert c.echo(PING, b"p").key() == (True, PONG, b"p")
            c.send_close(1001, "bye")
            frames = c.until_end()
            assert [f.opcode for f in frames] == [CLOSE]
            assert c.close_code == (1001, "")
            assert c.ended_at is not None
        (conn,) = srv.wait_connections(1)
        assert conn.wait_ended(5)
        assert conn.request_line == "GET /_event HTTP/1.1"
        assert conn.headers["cookie"] == "a=b"
        assert conn.headers["origin"] == "http://x"
        assert conn.close_code == (1001, "bye")
        assert [f.opcode for f in conn.frames] == [TEXT, BINARY, BINARY, TEXT, CONT, CONT,
                                                   PING, CLOSE]
        assert conn.ended_at <= c.ended_at


def test_the_server_sees_eof_when_the_client_goes():
    with wslib.EchoServer() as srv:
        c = wslib.Client.connect(srv.port)
        c.send_text("x")
        assert c.recv().payload == b"x"
        c.close()
        (conn,) = srv.wait_connections(1)
        assert conn.wait_ended(5)
        assert conn.close_code is None and conn.ended_at is not None


def test_a_refusing_server_keeps_the_connection_alive():
    with wslib.EchoServer(refuse=404) as srv:
        c = wslib.Client.open(srv.port)
        with c:
            with pytest.raises(wslib.HandshakeRefused) as e:
                c.handshake("/", "localhost:%d" % srv.port)
            assert e.value.status_line.startswith("HTTP/1.1 404")
            assert e.value.body == b"refused\n"
            c.request("/again", "localhost:%d" % srv.port, upgrade=False)
            status, _, _, body = c.response()
            assert (status, body) == (404, b"refused\n")
        (conn,) = srv.wait_connections(1)
        assert conn.wait_ended(5)
        assert conn.request_line == "GET /again HTTP/1.1"


def test_a_later_frame_comes_on_its_own():
    with wslib.EchoServer() as srv:
        with wslib.Client.connect(srv.port) as c:
            sent = time.monotonic()
            c.send_text("later:300:pushed")
            frame = c.recv()
            assert frame.key() == (True, TEXT, b"pushed")
            assert frame.at - sent >= 0.29

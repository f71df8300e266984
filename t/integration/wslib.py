"""Websocket test tools, Python standard library only (RFC 6455 framing).

- EchoServer: a threaded websocket backend on a free loopback port. It
  answers the handshake (or a chosen refusal status), echoes text, binary
  and continuation frames as they come (same FIN and opcode), answers a
  ping with a pong and a close with a close; a text frame
  "later:MS:TEXT" is not echoed: TEXT comes back on its own MS
  milliseconds later (a backend that speaks first). It records per connection
  (ServerConnection): the request line and headers, every frame it
  received, the monotonic time its side saw EOF or a close frame, and the
  close code and reason it received.
- Client: connects to a server (plain or TLS, e.g. httpd's https port),
  sends the upgrade with extra headers (Cookie, Origin, ...), sends masked
  frames of each kind, reads frames, reports the close code and reason it
  got and the monotonic time the connection ended.

Times are time.monotonic() values, comparable across both sides in one
test process.
"""

import base64
import hashlib
import os
import socket
import socketserver
import ssl
import struct
import threading
import time

import harness

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class Frame:
    __slots__ = ("fin", "opcode", "payload", "rsv", "at")

    def __init__(self, fin, opcode, payload, rsv=0, at=None):
        self.fin, self.opcode, self.payload, self.rsv = fin, opcode, payload, rsv
        self.at = time.monotonic() if at is None else at

    def key(self):
        """(fin, opcode, payload): what two sides compare."""
        return (self.fin, self.opcode, self.payload)

    def close_code(self):
        """(code, reason) of a close frame; (None, "") without a code."""
        if len(self.payload) < 2:
            return None, ""
        return (struct.unpack("!H", self.payload[:2])[0],
                self.payload[2:].decode("utf-8", "replace"))

    def __repr__(self):
        return "Frame(fin=%d, opcode=%d, %r)" % (self.fin, self.opcode, self.payload[:40])


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def encode_frame(opcode, payload=b"", fin=True, mask=True, rsv=0):
    """One frame: masked with a random key when MASK (client to server)."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    m = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([m | n])
    elif n < 1 << 16:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def close_payload(code, reason=""):
    return struct.pack("!H", code) + reason.encode()


def _read_exact(f, n):
    data = f.read(n) if n else b""
    if data is None or len(data) < n:
        raise EOFError
    return data


def read_frame(f):
    """The next frame from binary file F (unmasking it); EOFError at end."""
    b0, b1 = _read_exact(f, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", _read_exact(f, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", _read_exact(f, 8))[0]
    key = _read_exact(f, 4) if b1 & 0x80 else None
    payload = _read_exact(f, n)
    if key:
        payload = bytes(b ^ key[i & 3] for i, b in enumerate(payload))
    return Frame(bool(b0 & 0x80), b0 & 0x0F, payload, (b0 >> 4) & 7)


def read_head(f):
    """(status or request line, {lower-case name: value}) of an HTTP head."""
    first = f.readline().decode("latin-1").rstrip("\r\n")
    if not first:
        raise EOFError
    headers = {}
    while True:
        line = f.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            return first, headers
        k, _, v = line.partition(":")
        k = k.strip().lower()
        headers[k] = headers[k] + ", " + v.strip() if k in headers else v.strip()


class ServerConnection:
    """What the echo server saw on one connection."""

    def __init__(self):
        self.request_line = None
        self.headers = {}
        self.frames = []
        self.ended_at = None      # monotonic time of EOF or a close frame
        self.close_code = None    # (code, reason) of the close frame received
        self.ended = threading.Event()

    def _end(self):
        if self.ended_at is None:
            self.ended_at = time.monotonic()
        self.ended.set()

    def wait_ended(self, timeout):
        return self.ended.wait(timeout)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        srv = self.server.echo
        conn = ServerConnection()
        with srv.lock:
            srv.connections.append(conn)
        try:
            self._serve(srv, conn)
        except (EOFError, OSError):
            pass
        finally:
            conn._end()

    def _serve(self, srv, conn):
        while True:
            conn.request_line, conn.headers = read_head(self.rfile)
            if srv.refuse is None:
                break
            body = b"refused\n"
            self.wfile.write(b"HTTP/1.1 %d Refused\r\nContent-Type: text/plain\r\n"
                             b"Content-Length: %d\r\n\r\n%s"
                             % (srv.refuse, len(body), body))
            self.wfile.flush()
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                          % accept_key(conn.headers.get("sec-websocket-key", "")))
                         .encode())
        self.wfile.flush()
        self.write_lock = threading.Lock()
        while True:
            frame = read_frame(self.rfile)
            conn.frames.append(frame)
            if frame.opcode == CLOSE:
                conn.close_code = frame.close_code()
                conn._end()
                self._write(encode_frame(CLOSE, frame.payload[:2], mask=False))
                return
            if frame.opcode == PING:
                self._write(encode_frame(PONG, frame.payload, mask=False))
            elif frame.opcode == TEXT and frame.fin and frame.payload.startswith(b"later:"):
                _, ms, text = frame.payload.split(b":", 2)
                threading.Timer(int(ms) / 1000.0, self._write_quietly,
                                (encode_frame(TEXT, text, mask=False),)).start()
            elif frame.opcode != PONG:
                self._write(encode_frame(frame.opcode, frame.payload,
                                         fin=frame.fin, mask=False))

    def _write(self, data):
        with self.write_lock:
            self.wfile.write(data)
            self.wfile.flush()

    def _write_quietly(self, data):
        try:
            self._write(data)
        except (OSError, ValueError):
            pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class EchoServer:
    """A websocket echo backend on harness.free_port(). REFUSE: answer every
    request with that HTTP status (keep-alive) instead of upgrading."""

    def __init__(self, refuse=None):
        self.refuse = refuse
        self.connections = []
        self.lock = threading.Lock()
        self.port = harness.free_port()
        self._server = _Server((harness.LOOPBACK, self.port), _Handler)
        self._server.echo = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path="/", scheme="ws"):
        return "%s://%s:%d%s" % (scheme, harness.LOOPBACK, self.port, path)

    def wait_connections(self, count, timeout=harness.HTTP_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.connections) >= count:
                    return list(self.connections)
            time.sleep(0.02)
        raise AssertionError("echo server: %d connections, wanted %d"
                             % (len(self.connections), count))

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class HandshakeRefused(AssertionError):
    def __init__(self, status_line, headers, body):
        super().__init__(status_line)
        self.status_line, self.headers, self.body = status_line, headers, body


class Client:
    """A websocket client connection. connect() makes and upgrades it."""

    def __init__(self, sock):
        self.sock = sock
        self.f = sock.makefile("rb")
        self.status_line = None
        self.headers = {}
        self.close_code = None    # (code, reason) of the close frame received
        self.ended_at = None      # monotonic time the connection ended (EOF)
        self.received = []

    @classmethod
    def open(cls, port, *, tls=False, host="localhost", timeout=harness.HTTP_TIMEOUT):
        """A plain (or TLS) connection to PORT on loopback, not yet upgraded."""
        sock = socket.create_connection((harness.LOOPBACK, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname=host)
        return cls(sock)

    @classmethod
    def connect(cls, port, path="/", *, tls=False, host="localhost", headers=None,
                timeout=harness.HTTP_TIMEOUT):
        """Connect and upgrade; HandshakeRefused unless the answer is 101."""
        client = cls.open(port, tls=tls, host=host, timeout=timeout)
        try:
            client.handshake(path, host="%s:%d" % (host, port), headers=headers)
        except BaseException:
            client.close()
            raise
        return client

    def request(self, path, host, headers=None, upgrade=True):
        """Send a GET (an upgrade when UPGRADE) on this connection."""
        lines = ["GET %s HTTP/1.1" % path, "Host: %s" % host]
        if upgrade:
            self.key = base64.b64encode(os.urandom(16)).decode()
            lines += ["Upgrade: websocket", "Connection: Upgrade",
                      "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: %s" % self.key]
        lines += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def response(self):
        """(status code, status line, headers, body) of a non-101 answer with
        a Content-Length (or none); for a 101 the body is b""."""
        self.status_line, self.headers = read_head(self.f)
        status = int(self.status_line.split()[1])
        body = b""
        if status != 101:
            body = _read_exact(self.f, int(self.headers.get("content-length", "0")))
        return status, self.status_line, self.headers, body

    def handshake(self, path, host, headers=None):
        self.request(path, host, headers)
        status, line, hdrs, body = self.response()
        if status != 101:
            raise HandshakeRefused(line, hdrs, body)
        assert hdrs.get("sec-websocket-accept") == accept_key(self.key), hdrs

    def send(self, opcode, payload=b"", fin=True, rsv=0):
        self.sock.sendall(encode_frame(opcode, payload, fin=fin, rsv=rsv))

    def send_text(self, text):
        self.send(TEXT, text.encode())

    def send_binary(self, data):
        self.send(BINARY, data)

    def send_fragmented(self, opcode, parts):
        for i, part in enumerate(parts):
            self.send(opcode if i == 0 else CONT, part, fin=i == len(parts) - 1)

    def ping(self, payload=b""):
        self.send(PING, payload)

    def send_close(self, code=1000, reason=""):
        self.send(CLOSE, close_payload(code, reason))

    def recv(self):
        """The next frame; None once the connection ended (ended_at set)."""
        try:
            frame = read_frame(self.f)
        except (EOFError, OSError):
            self._ended()
            return None
        self.received.append(frame)
        if frame.opcode == CLOSE and self.close_code is None:
            self.close_code = frame.close_code()
        return frame

    def echo(self, opcode, payload):
        """Send one frame and return the frame that comes back."""
        self.send(opcode, payload)
        return self.recv()

    def until_end(self, timeout=harness.HTTP_TIMEOUT):
        """Read frames until EOF; returns them (the close frame included)."""
        self.sock.settimeout(timeout)
        frames = []
        while True:
            frame = self.recv()
            if frame is None:
                return frames
            frames.append(frame)

    def _ended(self):
        if self.ended_at is None:
            self.ended_at = time.monotonic()

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

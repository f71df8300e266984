"""t/site-check, the tool for testing your own site: the local
provider, the mock-IdP sign-in and the guarded-surface test."""

import os
import re
import subprocess
import sys
from pathlib import Path

import harness
from harness import COOKIE_SECRET

TOOL = str(Path(__file__).resolve().parents[1] / "site-check")


def test_site_check(httpd_factory):
    httpd = httpd_factory()
    httpd.write_doc("private/index.html", "<p>private</p>\n")
    httpd.write_doc("open/index.html", "<p>open</p>\n")
    port = harness.free_port()
    idp = subprocess.Popen([sys.executable, TOOL, "idp", "--port", str(port),
                            "--callback", httpd.https_url("/callback")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        env, lines = {}, []
        while "Ctrl-C" not in "".join(lines):
            line = idp.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
            m = re.match(r"\s*export (\w+)=(\S+)", line)
            if m:
                env[m.group(1)] = m.group(2)
        assert env["OIDC_ISSUER_URI"] == "http://127.0.0.1:%d" % port
        env["OIDC_COOKIE_SECRET"] = COOKIE_SECRET
        conf = """
<Location /private>
    AuthType ReflexOIDC
    Require valid-user
</Location>
<Location /open>
    Require all granted
</Location>
"""
        httpd.start(conf=conf, env=env)
        res = subprocess.run([sys.executable, TOOL, "signin", httpd.https_url("/private/")],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0 and "OK:" in res.stdout, res.stdout + res.stderr
        res = subprocess.run([sys.executable, TOOL, "surface", httpd.https_url("/"),
                              "--config", str(httpd.conf_file)],
                             capture_output=True, text=True, timeout=120,
                             # httpd's environment (the sanitizer runtime too)
                             env={**os.environ, **httpd.process_env()})
        assert res.returncode == 0, res.stdout + res.stderr
        assert re.search(r"/private\s+guarded \(302\)", res.stdout), res.stdout
        assert re.search(r"/open\s+not guarded here \(301\)|/open\s+open \(200\)", res.stdout), \
            res.stdout
    finally:
        idp.terminate()
        idp.wait(timeout=20)
    # the provider it started is gone with it
    assert not harness.port_open(port)

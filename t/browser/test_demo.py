"""The README's demo command: httpd with the module on https://localhost
in front of a sample page, the local provider beside it; a person signs in
and is greeted by name."""

import os
import signal
import subprocess
import time
from pathlib import Path

import harness

REPO = Path(__file__).resolve().parents[2]


def test_demo_signs_in_and_greets_by_name(browser, workdir):
    port, idp_port = harness.free_ports(2)
    env = {**os.environ, "RXA_DEMO_PORT": str(port), "RXA_DEMO_IDP_PORT": str(idp_port),
           "RXA_DEMO_DIR": str(Path(workdir) / "demo")}
    if os.environ.get("RXA_MODULE"):
        env.pop("RXA_MODULE")
    out = open(Path(workdir) / "demo.out", "w")
    proc = subprocess.Popen([str(REPO / "t" / "demo")], stdout=out, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)
    try:
        harness.wait_until(lambda: "demo on https://localhost" in
                           (Path(workdir) / "demo.out").read_text() or proc.poll() is not None,
                           300, "the demo to start")
        assert proc.poll() is None, (Path(workdir) / "demo.out").read_text()
        base = "https://localhost:%d" % port
        browser.open(base + "/", url_prefix=base + "/login?redirect_to=")
        browser.click_and_wait(browser.find("a.button"))
        browser.idp_sign_in("alice", until=base + "/")
        browser.wait_text("Hello, Alice Liddell!")
        # it stays up until stopped
        time.sleep(1)
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()

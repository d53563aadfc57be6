"""``Simulator``: start and stop the simulated service on a real socket, optionally with TLS and keep-alive."""

import io
import os
import shutil
import socket
import ssl
import struct
import tempfile
import threading

import trustme
from werkzeug.serving import WSGIRequestHandler, make_server

from .admin import state as admin_state
from .app import SimulatorApp
from .faults import AbortConnection
from .responses import CLOSE_CONNECTION
from .scenario import load_scenario


# The largest request body read ahead on a kept-alive connection; larger or chunked ones close it.
MAX_KEPT_BODY = 16 * 1024 * 1024


class _RequestLines:
    """The connection's input, which gives nothing to ``read()`` once a request's body was read ahead.

    werkzeug drains "what is left" after each response, which on a kept-alive connection would
    swallow the client's next request.
    """

    def __init__(self, stream):
        self.stream = stream
        self.body_read_ahead = False

    def read(self, size=-1):
        return b"" if self.body_read_ahead else self.stream.read(size)

    def __getattr__(self, name):
        return getattr(self.stream, name)


class SimRequestHandler(WSGIRequestHandler):
    """Quiet request handler that can abort a connection with a TCP reset.

    werkzeug closes every connection; with the server's ``keep_alive`` set (seconds of idleness
    before the simulator closes a connection) it keeps them open as the service does.
    """

    _in_wsgi = False

    def log_request(self, code="-", size="-"):
        """The simulator keeps its own request log."""

    def log_error(self, format, *args):  # pylint: disable=redefined-builtin
        if self._keep_alive and format.startswith("Request timed out"):
            return  # an idle kept-alive connection closed, as servers do
        super().log_error(format, *args)

    @property
    def _keep_alive(self):
        return getattr(self.server, "keep_alive", None)

    def setup(self):
        self.timeout = self._keep_alive
        super().setup()
        if self._keep_alive:
            self.rfile = _RequestLines(self.rfile)

    def make_environ(self):
        if not self._keep_alive:
            return super().make_environ()
        self.rfile.body_read_ahead = False
        environ = super().make_environ()
        length = environ.get("CONTENT_LENGTH") or "0"
        if environ.get("wsgi.input_terminated") or not length.isdigit() or int(length) > MAX_KEPT_BODY:
            environ[CLOSE_CONNECTION] = True  # a chunked or huge body is read by the app, then the connection ends
        else:
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
            self.rfile.body_read_ahead = True
        return environ

    def run_wsgi(self):
        self._in_wsgi = True
        try:
            super().run_wsgi()
        finally:
            self._in_wsgi = False

    def send_header(self, keyword, value):
        # Only werkzeug's "Connection: close" on every WSGI response; http.server's own errors still close.
        kept = self._keep_alive and self._in_wsgi and not self.close_connection  # the client did not ask to close
        if keyword.lower() == "connection" and kept and not self.environ.get(CLOSE_CONNECTION):
            return
        super().send_header(keyword, value)

    def handle(self):
        try:
            super().handle()
        except AbortConnection:
            self._reset()

    def _reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        for stream in (self.rfile, self.wfile):
            try:
                stream.close()
            except OSError:
                pass
        self.connection.close()


class Simulator:
    """The simulated Atlassian migration APIs on ``host:port``; see tests/simulator/README.md."""

    def __init__(self, scenario="basic", overrides=None, host="127.0.0.1", port=0, tls=False, log_path=None, keep_alive=None):
        self.scenario = load_scenario(scenario, overrides)
        self.host = host
        self.port = port
        self.tls = tls
        self.keep_alive = keep_alive
        self.log_path = log_path
        self.on_request = None
        self.app = SimulatorApp(self.scenario, log_path=log_path, on_request=self._notify)
        self.url = None
        self.ca_path = None
        self._server = None
        self._thread = None
        self._tmpdir = None

    def _notify(self, entry):
        if self.on_request is not None:
            self.on_request(entry)

    # -- lifecycle -------------------------------------------------------------------------
    def _ssl_context(self):
        authority = trustme.CA()
        names = ["127.0.0.1", "localhost", "::1"]
        if self.host not in names and self.host not in ("0.0.0.0", "::"):
            names.append(self.host)
        certificate = authority.issue_cert(*names)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certificate.configure_cert(context)
        self._tmpdir = tempfile.mkdtemp(prefix="migrationops-sim-")
        self.ca_path = os.path.join(self._tmpdir, "ca.pem")
        authority.cert_pem.write_to_path(self.ca_path)
        return context

    def start(self):
        """Listen and serve in a background thread; return the base URL."""
        if self._server is not None:
            return self.url
        context = self._ssl_context() if self.tls else None
        try:
            self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=SimRequestHandler, ssl_context=context)
        except SystemExit as exc:  # werkzeug exits when the port cannot be bound
            raise OSError("simulator cannot listen on %s:%s" % (self.host, self.port)) from exc
        self._server.keep_alive = self.keep_alive
        self.port = self._server.server_port
        scheme = "https" if self.tls else "http"
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        if ":" in host:
            host = "[%s]" % host
        self.url = "%s://%s:%d" % (scheme, host, self.port)
        self.app.scheme, self.app.port = scheme, self.port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="migrationops-simulator", daemon=True)
        self._thread.start()
        return self.url

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- conveniences for tests ------------------------------------------------------------
    @property
    def credentials(self):
        """The first credential pair: ``{"email": ..., "api_token": ...}``."""
        return dict(self.scenario["credentials"][0])

    @property
    def env(self):
        """Environment variables that point the collection at this simulator."""
        creds = self.credentials
        env = {"ATLASSIAN_API_URL": self.url, "ATLASSIAN_EMAIL": creds["email"], "ATLASSIAN_API_TOKEN": creds["api_token"]}
        if self.ca_path:
            env["ATLASSIAN_CA_PATH"] = self.ca_path
        return env

    def add_fault(self, fault):
        return self.app.faults.add(fault)

    def clear_faults(self):
        self.app.faults.clear()

    def advance(self, seconds):
        """Move simulated time (status timelines, TTLs, link expiry, rate windows) forward."""
        return self.app.clock.advance(seconds)

    @property
    def requests(self):
        return self.app.log.entries()

    def clear_log(self):
        self.app.log.clear()

    def report_sha256(self, job_id):
        return self.app.idmapping.report(job_id).sha256()

    def report_size(self, job_id):
        return self.app.idmapping.report(job_id).size

    @property
    def idmapping_trigger_count(self):
        return self.app.idmapping.trigger_count

    @property
    def state(self):
        return admin_state(self.app)

# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A one-shot HTTP server on loopback that sends exactly the bytes a test scripts (hostile framing)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import struct
import threading
import time

import requests


class RawServer:
    """Answers one request with ``head`` (the status line and header lines) and ``body`` pieces, then closes.

    ``ending``: ``close`` (FIN), ``reset`` (RST) or ``hang`` (keeps the connection open, silent).
    ``pause`` seconds are slept between body pieces; with ``head_pause`` the head is sent one byte
    at a time, that many seconds apart.
    """

    def __init__(self, head, body=(), ending="close", pause=0.0, head_pause=0.0):
        self.head = head
        self.body = list(body)
        self.ending = ending
        self.pause = pause
        self.head_pause = head_pause
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.url = "http://127.0.0.1:%d/report" % self.listener.getsockname()[1]
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True
        self.thread.start()

    def _serve(self):
        conn, dummy = self.listener.accept()
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(65536)
                if not data:
                    return
                request += data
            head = ("\r\n".join(self.head) + "\r\n\r\n").encode("latin-1")
            if self.head_pause:
                for index in range(len(head)):
                    conn.sendall(head[index : index + 1])
                    time.sleep(self.head_pause)
            else:
                conn.sendall(head)
            for piece in self.body:
                conn.sendall(piece)
                if self.pause:
                    time.sleep(self.pause)
            if self.ending == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self.ending == "hang":
                self.release.wait(30)
        except OSError:
            pass
        finally:
            conn.close()
            self.listener.close()

    def get(self, timeout=5):
        """The streamed requests.Response, as the transport's open_download gives it."""
        return requests.get(self.url, stream=True, timeout=timeout)

    def stop(self):
        self.release.set()
        self.thread.join(10)

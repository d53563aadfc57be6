"""A server of one file that costs almost no CPU: the kernel copies it (``os.sendfile``).

``python -m benchmarks.sendfile_server FILE READY_FILE`` listens on a free loopback port, writes
its base URL to READY_FILE, and answers every GET (any path, any query: a presigned link of the
simulator pointed here through ``s3_base_url``) with FILE, ``Content-Length`` and
``Connection: close``. It is the "low-CPU server" the download goal is measured against, so that
the client, not the server, is what the ratio shows on two shared cores.
"""

import os
import socket
import sys
import threading

HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"


def _answer(conn, path):
    try:
        request = b""
        while b"\r\n\r\n" not in request:
            data = conn.recv(65536)
            if not data:
                return
            request += data
        size = os.path.getsize(path)
        if request.startswith(b"HEAD "):
            conn.sendall((HEAD % size).encode("ascii"))
            return
        conn.sendall((HEAD % size).encode("ascii"))
        with open(path, "rb") as handle:
            offset = 0
            while offset < size:
                sent = os.sendfile(conn.fileno(), handle.fileno(), offset, size - offset)
                if not sent:
                    break
                offset += sent
    except OSError:
        pass
    finally:
        conn.close()


def serve(path, ready_file):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(ready_file + ".tmp", "w", encoding="ascii") as handle:
        handle.write("http://127.0.0.1:%d" % listener.getsockname()[1])
    os.replace(ready_file + ".tmp", ready_file)
    while True:
        conn, _address = listener.accept()
        threading.Thread(target=_answer, args=(conn, path), daemon=True).start()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])

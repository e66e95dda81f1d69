"""moto's server (a local AWS: STS, S3, ...) on 127.0.0.1 at a free port, for the
aws-credential tests, with every AssumeRoleWithWebIdentity request it receives written
as one JSON line to the file named by argv[1]: moto checks no web identity token, so the
tests read there what octoken sent. Prints {"port": N} once it listens; exits when its
stdin closes (the test that started it has ended)."""

import io
import json
import os
import sys
import threading
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

log_path = sys.argv[1]
log_lock = threading.Lock()
moto = DomainDispatcherApplication(create_backend_app)


def recording(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    form = parse_qs(body.decode("latin-1"), keep_blank_values=True)
    form.update(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if form.get("Action") == ["AssumeRoleWithWebIdentity"]:
        entry = {
            "form": {k: v[0] for k, v in form.items()},
            "authorization": environ.get("HTTP_AUTHORIZATION"),
            "accept": environ.get("HTTP_ACCEPT"),
        }
        with log_lock, open(log_path, "a") as log:
            log.write(json.dumps(entry) + "\n")
    return moto(environ, start_response)


server = make_server(
    "127.0.0.1", 0, recording, threaded=True, request_handler=MotoRequestHandler
)
print(json.dumps({"port": server.server_port}), flush=True)


def exit_with_stdin():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=exit_with_stdin, daemon=True).start()
server.serve_forever()

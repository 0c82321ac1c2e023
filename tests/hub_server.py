"""A local Hugging Face hub that speaks the four routes ``HfApi.create_repo`` and
``HfApi.upload_folder`` use (see ../shared/STACK.md), keeping what is committed."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Hub:
    url: str
    token: str
    repos: dict[str, dict] = field(default_factory=dict)
    #: repo id → the files of its last commit (path → bytes)
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    commits: list[str] = field(default_factory=list)
    #: Every request's path and Authorization header, to check what was sent.
    requests: list[tuple[str, str]] = field(default_factory=list)


@contextmanager
def local_hub(token: str) -> Iterator[Hub]:
    hub = Hub(url="", token=token)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hub.requests.append((self.path, self.headers.get("Authorization", "")))
            if self.headers.get("Authorization") != f"Bearer {hub.token}":
                self._answer(401, {"error": "Invalid credentials in Authorization header"})
                return
            parts = self.path.split("?")[0].strip("/").split("/")
            if parts[:3] == ["api", "repos", "create"]:
                request = json.loads(body)
                repo = f"{request.get('organization') or 'user'}/{request['name']}"
                hub.repos[repo] = request
                self._answer(200, {"url": f"{hub.url}/{repo}", "name": repo, "id": repo})
            elif parts[:2] == ["api", "validate-yaml"]:
                self._answer(200, {"errors": [], "warnings": []})
            elif parts[:2] == ["api", "models"] and parts[4] == "preupload":
                files = json.loads(body)["files"]
                self._answer(
                    200,
                    {
                        "files": [
                            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                            for f in files
                        ]
                    },
                )
            elif parts[:2] == ["api", "models"] and parts[4] == "commit":
                repo = f"{parts[2]}/{parts[3]}"
                committed = {}
                for line in body.decode().splitlines():
                    entry = json.loads(line)
                    if entry["key"] == "file":
                        value = entry["value"]
                        committed[value["path"]] = base64.b64decode(value["content"])
                hub.files[repo] = committed
                oid = uuid.uuid4().hex
                hub.commits.append(oid)
                self._answer(200, {"commitUrl": f"{hub.url}/{repo}/commit/{oid}", "commitOid": oid})
            else:
                self._answer(404, {"error": f"no route {self.path}"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()

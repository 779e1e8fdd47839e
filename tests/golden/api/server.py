#!/usr/bin/env python3
"""server.py - a canned relayguardd API for the client's golden test
(tests/golden/12_client.sh): answers fixed JSON files of this directory,
so that the tables of `relayguard status|customers|incidents|release|
lookup` are diffed against .ref files without a daemon or a clock.

  server.py PORTFILE     listens on a free 127.0.0.1 port, writes it to
                         PORTFILE, serves until killed
A change without "Authorization: Bearer golden" answers 401, as the
daemon does.
"""
import http.server
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTES = {
    ("GET", "/api/v1/status"): (200, "status.json"),
    ("GET", "/api/v1/customers"): (200, "customers.json"),
    ("GET", "/api/v1/incidents"): (200, "incidents.json"),
    ("POST", "/api/v1/incidents/1/release"): (200, "release.json"),
    ("POST", "/api/v1/incidents/99/release"): (404, "notfound.json"),
    ("GET", "/api/v1/lookup"): (200, "lookup.json"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, method):
        path = self.path.split("?")[0]
        status, name = ROUTES.get((method, path), (404, "notfound.json"))
        if method != "GET" and self.headers.get("Authorization") != "Bearer golden":
            status, body = 401, b'{"error":"this change needs \\"Authorization: Bearer TOKEN\\" with the API token"}\n'
        else:
            body = open(os.path.join(HERE, name), "rb").read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer("GET")

    def do_POST(self):
        self.answer("POST")

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()

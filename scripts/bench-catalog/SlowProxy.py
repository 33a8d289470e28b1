# An HTTP proxy that holds every request LATENCY_MS before passing it on (threaded: requests overlap as
# they would at S3), for scripts/bench-catalog.sh. Usage: python3 SlowProxy.py LISTEN_PORT UPSTREAM_PORT LATENCY_MS
import http.client, http.server, sys, time

UPSTREAM, LATENCY = ("127.0.0.1", int(sys.argv[2])), int(sys.argv[3]) / 1000


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def relay(self):
        time.sleep(LATENCY)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(*UPSTREAM)
        upstream.request(self.command, self.path, body, dict(self.headers.items()))
        response = upstream.getresponse()
        data = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = relay

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Proxy).serve_forever()

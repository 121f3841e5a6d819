"""moto server with its requests applied one at a time.

moto's own server (`moto_server`) handles requests on many threads, and its DynamoDB backend
does not make conditional writes or transactions atomic across them: two racing conditional
puts can both succeed, and a cancelled transaction restores tables wholesale, undoing a
concurrent winner. Real DynamoDB is serializable per item, and the Store conformance suite
checks exactly that, so under a loaded CI run the concurrency cases failed now and then.
Here connections are still served on their own threads (keep-alive clients never wait for
each other's sockets), but each request runs under one lock, which makes every moto
operation atomic.

    python scripts/moto-serial.py HOST PORT
"""

import sys
import threading

from moto.server import MotoRequestHandler
from moto.moto_server.threaded_moto_server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            # The whole body is produced inside the lock: moto computes it lazily sometimes.
            return list(app(environ, start_response))

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

"""The floor for the catalog benchmark: a bare Litestar route returning the same bytes (and the same
headers) as `GET /api/stripe/products`, served by uvicorn in one worker like the service.

`python -m bench.bare_app --port P --body FILE`
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import uvicorn
from litestar import Litestar, Response, get


def create_app(body: bytes) -> Litestar:
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=0, must-revalidate"}

    @get("/api/stripe/products", sync_to_thread=False)
    def products() -> Response[bytes]:
        return Response(body, media_type="application/json", headers=headers)

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[products, health], openapi_config=None, debug=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", required=True)
    args = parser.parse_args()
    app = create_app(Path(args.body).read_bytes())
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, workers=1, log_config=None, access_log=False, proxy_headers=False
    )


if __name__ == "__main__":
    main()

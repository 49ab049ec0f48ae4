"""`python -m sandbox --port 12111`: serve the standalone sandbox for manual use."""

import argparse

import uvicorn

from sandbox import Sandbox, create_standalone_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Offline Stripe sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--secret-key", default="sk_test_sandbox")
    parser.add_argument("--webhook-secret", default="whsec_sandbox")
    args = parser.parse_args()
    sb = Sandbox(
        public_url=f"http://{args.host}:{args.port}",
        webhook_url=args.webhook_url,
        secret_key=args.secret_key,
        webhook_secret=args.webhook_secret,
        api_prefix="",
    )
    print(f"Stripe sandbox on http://{args.host}:{args.port}  key={sb.secret_key}  whsec={sb.webhook_secret}")
    uvicorn.run(create_standalone_app(sb), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()

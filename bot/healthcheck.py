"""Docker's HEALTHCHECK: `python -m bot.healthcheck` requests the bot's health endpoint.

It uses only the standard library and reads HEALTH_PORT and HEALTH_LISTEN from the
environment, not from .env, so that it starts fast and needs no other setting. Exit status
0 means healthy. Exit status 1 means unhealthy, unreachable or not configured, and the
printed line names the reason.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
import urllib.error
import urllib.request

# Seconds to wait for the endpoint; Docker's own --timeout should be longer.
TIMEOUT_SECONDS = 5.0


def health_url(listen: str, port: str) -> str:
    """Return the URL of the endpoint, reaching a wildcard address through loopback."""
    address = ipaddress.ip_address(listen)
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{host}:{int(port)}/health"


def main() -> int:
    port = os.environ.get("HEALTH_PORT", "").strip()
    if not port:
        print("unhealthy: HEALTH_PORT is not set, so the health endpoint is off")
        return 1
    try:
        url = health_url(os.environ.get("HEALTH_LISTEN", "").strip() or "127.0.0.1", port)
    except ValueError as error:
        print(f"unhealthy: invalid HEALTH_LISTEN or HEALTH_PORT: {error}")
        return 1

    # No proxy: HTTP_PROXY in a container's environment must not divert a loopback request.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=TIMEOUT_SECONDS) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        problems = _problems(error.read())
        print(f"unhealthy: HTTP {error.code} from {url}: {problems}")
        return 1
    except (OSError, ValueError) as error:
        print(f"unhealthy: no answer from {url}: {error}")
        return 1

    print(f"{body.get('status', 'ok')}: {body.get('open_watches', 0)} open watches")
    return 0


def _problems(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return "no JSON body"
    problems = body.get("problems") if isinstance(body, dict) else None
    return "; ".join(problems) if problems else "no problems given"


if __name__ == "__main__":
    sys.exit(main())

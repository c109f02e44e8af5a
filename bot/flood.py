"""Flood control: python-telegram-bot's AIORateLimiter, sized to stay inside Telegram's limits."""

from __future__ import annotations

import math

from telegram.ext import AIORateLimiter

# Times a request that got "429 Too Many Requests: retry after N" from Telegram is sent
# again, each after waiting the N seconds that Telegram requested.
FLOOD_RETRIES = 5


# Share of each limit that may go out at once. Overall, a small burst leaves the most for
# the steady rate, which bounds how fast a flood of notifications drains. Per group, a burst
# of half the limit lets a command's few replies go out at once instead of seconds apart.
_OVERALL_BURST_SHARE = 1 / 15
_GROUP_BURST_SHARE = 1 / 2


def build_rate_limiter(messages_per_second: float, group_messages_per_minute: float) -> AIORateLimiter:
    """Return a rate limiter that never sends more than the limits in any window.

    AIORateLimiter is a leaky bucket (aiolimiter): a bucket of capacity C that drains at
    rate r lets C + r * T requests through in a window of length T. Telegram counts messages
    per window, so C + r * T must stay under the limit L: a burst C, a steady rate r for the
    rest, and about one message of margin for timing jitter.
    """
    overall_burst, overall_rate = _burst_and_rate(messages_per_second, _OVERALL_BURST_SHARE)
    group_burst, group_rate = _burst_and_rate(group_messages_per_minute, _GROUP_BURST_SHARE)
    return AIORateLimiter(
        overall_max_rate=overall_burst,
        overall_time_period=overall_burst / overall_rate,
        group_max_rate=group_burst,
        group_time_period=60 * group_burst / group_rate,
        max_retries=FLOOD_RETRIES,
    )


def _burst_and_rate(limit: float, burst_share: float) -> tuple[float, float]:
    """Split a limit per window into a burst and a steady rate per window, with a margin.

    Limits under 3 per window leave no room for a margin; their rate is a tenth of the limit.
    """
    burst = max(1.0, math.floor(limit * burst_share))
    margin = max(1.0, limit / 30)
    rate = max(limit - burst - margin, limit / 10)
    return burst, rate

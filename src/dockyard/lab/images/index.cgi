#!/bin/sh
# The `slow` variant's /: answers after $SLOW_SECONDS (default 2).
sleep "${SLOW_SECONDS:-2}"
printf 'Content-Type: text/plain\r\n\r\nhello from %s %s\n' "$SERVICE" "$VERSION"

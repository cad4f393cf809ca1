#!/bin/sh
# /cgi-bin/sleep?N: answers after N seconds (0-60), for a request in flight during a switch. The
# headers go first: the answer has begun, so a proxy cannot retry the request elsewhere.
case "$QUERY_STRING" in ''|*[!0-9.]*) n=1 ;; *) n=$QUERY_STRING ;; esac
printf 'Content-Type: text/plain\r\n\r\n'
sleep "$n"
printf 'hello from %s %s after %ss\n' "$SERVICE" "$VERSION" "$n"

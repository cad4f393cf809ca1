#!/bin/sh
# /cgi-bin/sleep?N: answers after N seconds (0-60), for a request in flight during a switch.
case "$QUERY_STRING" in ''|*[!0-9.]*) n=1 ;; *) n=$QUERY_STRING ;; esac
sleep "$n"
printf 'Content-Type: text/plain\r\n\r\nhello from %s %s after %ss\n' "$SERVICE" "$VERSION" "$n"

#!/bin/sh
# /cgi-bin/headers: what a proxy in front told the app of the client (X-Forwarded-For, -Proto,
# -Host), one per line, as busybox httpd hands request headers to a CGI (HTTP_*).
printf 'Content-Type: text/plain\r\n\r\n'
printf 'for=%s\nproto=%s\nhost=%s\n' "${HTTP_X_FORWARDED_FOR:-}" "${HTTP_X_FORWARDED_PROTO:-}" \
  "${HTTP_X_FORWARDED_HOST:-}"

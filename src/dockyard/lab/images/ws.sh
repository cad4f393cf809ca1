#!/bin/sh
# The `ws` variant, one connection per run (busybox nc -ll -e): a WebSocket handshake is
# answered with 101 and then every byte is echoed back (a long-lived upgraded stream through the
# proxy); any other request gets 200 "hello from ..." (so /up works as a health check).
key=""
upgrade=""
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in
    [Ss]ec-[Ww]eb[Ss]ocket-[Kk]ey:*) key=$(printf '%s' "${line#*:}" | tr -d ' ') ;;
    [Uu]pgrade:*[Ww]eb[Ss]ocket*) upgrade=yes ;;
  esac
done
if [ -n "$upgrade" ] && [ -n "$key" ]; then
  accept=$(printf '%s' "${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11" | sha1sum | cut -d' ' -f1 \
    | xxd -r -p | base64)
  printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
  printf 'Sec-WebSocket-Accept: %s\r\n\r\n' "$accept"
  exec cat
fi
body="hello from $SERVICE $VERSION"
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\n' "$((${#body} + 1))"
printf 'Connection: close\r\n\r\n%s\n' "$body"

"""Schema of the proxy, accessory and x-dockyard sections (see schema.py for the kinds)."""

from __future__ import annotations

Spec = tuple[str, ...]

PROXY: dict[str, Spec] = {
    "host": ("text", "Host name routed to the app; commas separate several. Use host or "
             "hosts, not both. No host means every request not claimed by another app.", ""),
    "hosts": ("list", "Host names routed to the app.", ""),
    "app_port": ("integer", "Port the app listens on inside the container.", "80"),
    "ssl": ("ssl", "true for automatic certificates (one host per role), or a map naming the "
            "secrets of a custom certificate: certificate_pem, private_key_pem.", "false"),
    "ssl_redirect": ("boolean", "Redirect HTTP to HTTPS when ssl is on, with 308 Permanent "
                     "Redirect (kamal-proxy answers 301; 308 is Caddy's, and keeps a POST a "
                     "POST where a 301 lets clients resend it as a GET).", "true"),
    "forward_headers": ("boolean", "Pass X-Forwarded-For/Proto from clients.",
                        "true without ssl, false with ssl"),
    "response_timeout": ("integer", "Seconds a request may take.", "30"),
    "path_prefix": ("string", "Route only these path prefixes (comma separated).", ""),
    "path_prefixes": ("list", "Route only these path prefixes.", ""),
    "strip_path_prefix": ("boolean", "Remove the prefix before passing the request on.", "true"),
    "healthcheck": ("section", "How a new container is checked before it gets traffic.", "",
                    "healthcheck"),
    "buffering": ("section", "Request and response buffering.", "", "buffering"),
    "logging": ("section", "Headers written to the request log.", "", "proxy_logging"),
    "run": ("section", "How the proxy container itself is run (shared by the apps of a "
            "host).", "", "proxy_run"),
}  # fmt: skip

HEALTHCHECK: dict[str, Spec] = {
    "interval": ("integer", "Seconds between checks.", "1"),
    "path": ("string", "Path that answers 200 when the app is ready.", "/up"),
    "timeout": ("integer", "Seconds each check may take.", "5"),
}
BUFFERING: dict[str, Spec] = {
    "requests": ("boolean", "Buffer request bodies.", "true"),
    "responses": ("boolean", "Buffer response bodies.", "true"),
    "max_request_body": ("integer", "Largest request body in bytes (0: no limit).", "1000000000"),
    "max_response_body": ("integer", "Largest response body in bytes (0: no limit).", "0"),
    "memory": ("integer", "Bytes buffered in memory before spilling to disk.", "1000000"),
}
PROXY_LOGGING: dict[str, Spec] = {
    "request_headers": ("list", "Request headers to log.", "Cache-Control, Last-Modified, "
                        "User-Agent"),
    "response_headers": ("list", "Response headers to log.", ""),
}  # fmt: skip
PROXY_RUN: dict[str, Spec] = {
    "http_port": ("integer", "Host port for HTTP.", "80"),
    "https_port": ("integer", "Host port for HTTPS.", "443"),
    "metrics_port": ("integer", "Port for Prometheus metrics.", ""),
    "debug": ("boolean", "Debug logging in the proxy.", "false"),
    "log_max_size": ("string", "Largest proxy log file.", "10m"),
    "publish": ("boolean", "Publish the ports on the host.", "true"),
    "bind_ips": ("list", "Addresses the published ports bind to.", ""),
    "registry": ("string", "Registry of the proxy image.", ""),
    "repository": ("string", "Repository of the proxy image.", ""),
    "version": ("string", "Tag of the proxy image.", ""),
    "options": ("map", "Extra `docker run` options for the proxy container.", ""),
}

ACCESSORY: dict[str, Spec] = {
    "service": ("string", "Container name and service label.", "<service>-<accessory>"),
    "image": ("string", "Image to run, with its registry if not Docker Hub.", ""),
    "registry": ("registry", "Registry of this accessory's image.", "Docker Hub"),
    "host": ("string", "The one host to run on.", ""),
    "hosts": ("hosts", "Hosts to run on.", ""),
    "role": ("string", "Run on the hosts of this role.", ""),
    "roles": ("list", "Run on the hosts of these roles.", ""),
    "tag": ("string", "Run on the hosts with this tag.", ""),
    "tags": ("list", "Run on the hosts with these tags.", ""),
    "cmd": ("string", "Command instead of the image default.", ""),
    "port": ("string", "Published port, `[ip:]host:container` or a bare port.", ""),
    "labels": ("strmap", "Extra labels.", ""),
    "options": ("map", "Extra `docker run --<name> <value>` options.", ""),
    "env": ("env", "Environment: clear values and secret names (no tags).", ""),
    "files": ("paths", "Files uploaded and mounted: `local:remote[:opts]` or a map with "
              "local, remote, mode, owner, options. .erb files are rendered first.", ""),
    "directories": ("paths", "Host directories created and mounted, same forms as files.", ""),
    "volumes": ("list", "Other volumes, mounted as given.", ""),
    "network": ("string", "Container network.", "kamal"),
    "proxy": ("proxy", "Route to this accessory through the proxy.", "", "proxy"),
}  # fmt: skip

X_DOCKYARD: dict[str, Spec] = {
    "runtime": ("enum", "Container engine on the servers.", "docker", "docker|podman"),
    "delivery": (
        "enum",
        "How images reach the servers: through the registry, or straight over "
        "SSH (only missing layers; no registry needed).",
        "registry",
        "registry|ssh",
    ),
    "proxy": ("section", "The Caddy proxy dockyard runs on each server.", "", "x_proxy"),
    "backend": ("enum", "Who runs the app's containers: dockyard over SSH, or a Docker Swarm "
                "made of the servers (docs/swarm.md; Docker only).", "ssh", "ssh|swarm"),
    "swarm": ("section", "Swarm settings, read with backend: swarm.", "", "x_swarm"),
    "backups": ("backups", "Backups of accessories, by accessory name (see x-dockyard/backups/"
                "<accessory> below and docs/accessories.md).", "", "x_backup"),
    "load_balancer": ("section", "One or two edges (dockyard's Caddy) in front of the web "
                      "hosts, with health checks and retries (docs/load-balancing.md). None: "
                      "nothing changes.", "", "x_load_balancer"),
    "cron": ("cron", "Scheduled jobs, by job name (see x-dockyard/cron/<job> below and "
             "docs/cron.md).", "", "x_cron"),
    "images": ("strmap", "A role's own image repository, by role name (without registry or "
               "tag): its containers run it at the app's version, pulled from the app's "
               "registry; dockyard builds only the app's image (docs/compose.md).", ""),
}  # fmt: skip
X_PROXY: dict[str, Spec] = {
    "image": ("string", "Caddy image (2.11 or later) to run as the proxy.", "caddy:2.11"),
    "tls_issuer": (
        "enum",
        "Who issues certificates for ssl: true: acme (Let's Encrypt, ZeroSSL) or internal "
        "(Caddy's own CA: staging, tests, private networks).",
        "acme",
        "acme|internal",
    ),
    "acme_email": ("string", "Email for the ACME account (expiry notices).", ""),
}

X_LOAD_BALANCER: dict[str, Spec] = {
    "hosts": ("list", "The one or two hosts that run the edges; dedicated, or servers of the app "
              "(then with other ports than their proxy's). Required.", ""),
    "http_port": ("integer", "Port the edges serve HTTP on.", "80"),
    "https_port": ("integer", "Port the edges serve HTTPS on.", "443"),
    "try_duration": ("integer", "Seconds a request may spend trying other web hosts when one "
                     "fails (a failed dial, or an idempotent request whose host failed).", "5"),
    "acme_ca": ("string", "The ACME directory the first edge orders from with proxy/ssl: true "
                "(default: Caddy's, Let's Encrypt).", ""),
    "acme_ca_root": ("string", "A secret holding the PEM root to trust for acme_ca's own "
                     "address (a private or test CA).", ""),
    "renew_interval": ("integer", "Seconds between the edges' checks for certificates to renew "
                       "and for a renewed one the other edge copied in.", "600"),
}  # fmt: skip

PROXY_SECTIONS: dict[str, dict[str, Spec]] = {
    "proxy": PROXY, "healthcheck": HEALTHCHECK, "buffering": BUFFERING,
    "proxy_logging": PROXY_LOGGING, "proxy_run": PROXY_RUN, "accessory": ACCESSORY,
    "x-dockyard": X_DOCKYARD, "x_proxy": X_PROXY, "x_load_balancer": X_LOAD_BALANCER,
}  # fmt: skip

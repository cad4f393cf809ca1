# The base for an app of your own on the lab (docs/getting-started.md): Debian's static busybox,
# a shell and its tools (httpd, wget, sed, awk...), nothing from any other registry.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["/bin/sh"]

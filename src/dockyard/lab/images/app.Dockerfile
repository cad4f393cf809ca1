# The lab's demo app: Debian's static busybox, nothing from any other registry.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY app/ /app/
ENV SERVICE=demo PORT=80
EXPOSE 80
ENTRYPOINT ["/bin/sh", "/app/start.sh"]

# The lab's demo app: Debian's static busybox, nothing from any other registry.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY app/ /app/
ENV SERVICE=demo PORT=80
# Kamal labels the images it builds with their service, and checks the label after a pull.
LABEL service=demo
EXPOSE 80
CMD ["/bin/sh", "/app/start.sh"]

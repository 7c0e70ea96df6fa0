/// The padlockd runtime: the node on the libuv event loop, with its peer and client transports.
public enum ServerModule {}

/// A fault-injecting TCP proxy on the event loop, for tests and chaos runs.
public enum FaultProxyModule {}

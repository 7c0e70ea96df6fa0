/// A small HTTP/1.1 server on the event loop for the admin port (/metrics, /health), and Prometheus text.
public enum AdminHTTPModule {}

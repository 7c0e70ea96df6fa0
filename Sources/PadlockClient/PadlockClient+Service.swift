import ServiceLifecycle

/// A `PadlockClient` runs as a service of an app server's `ServiceGroup`, beside its HTTP server: the group
/// keeps it until graceful shutdown (SIGTERM, say), then the client closes every session cleanly, so the
/// locks of reps still editing are released at once, without lock-delay, instead of expiring a TTL later.
extension PadlockClient: Service {
    /// Waits for the group's graceful shutdown (or the task's cancellation), then ``close()``s the client.
    /// Calls made meanwhile work as usual; calls made after it throw `cancelled`.
    public func run() async throws {
        // Returns when graceful shutdown begins; throws only if the task was cancelled, which ends the client
        // all the same.
        try? await gracefulShutdown()
        await close()
    }
}

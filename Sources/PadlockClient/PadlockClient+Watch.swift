import Wire

extension PadlockClient {
    /// Follows `key`: its current state first, then every change, as long as the stream is read.
    ///
    /// Each state covers the key, its ancestors and its descendants (what an acquire of the key would conflict
    /// with): ``KeyState/Status/free``, ``KeyState/Status/held`` with every holder (owner, mode, fence, note,
    /// since), or ``KeyState/Status/lockDelayed(until:)``, and the waiters. Watching never joins the queue.
    ///
    /// The first state is the one the leader reads when it accepts the subscription (at its applied index,
    /// after confirming it still leads: a linearizable read); then the leader sends a state after every
    /// committed entry that changes the key. A lock-delay ends without an entry, so the client re-reads the key
    /// (`inspect`) when the delay is over and yields ``KeyState/Status/free``. The stream survives lost
    /// connections and leader changes: the client subscribes again and the state it then reads replaces
    /// whatever changed in between (a state is yielded only when it differs from the last one). A consumer
    /// that reads slowly gets the latest state, not every one.
    ///
    /// The stream ends when the task reading it is cancelled or the stream is dropped; it throws
    /// `invalidArgument` for a bad key, `unavailable` past ``Configuration/maximumWatches``, the cluster's
    /// refusal (`permissionDenied` for a namespace the client may not read), and `cancelled` once the client
    /// is closed.
    public func watch(_ key: String) -> AsyncThrowingStream<KeyState, any Error> {
        makeWatch { () throws(PadlockError) in .key(try Self.validateKey(key)) }
    }

    /// Follows every key at or under `prefix` (a list view): first the state of each key there that is held,
    /// waited for or lock-delayed, then the state of any key there that a committed entry changes (a key that
    /// becomes free yields a state with no holders). States of different keys interleave; for one key they
    /// only move forward, and a slow consumer gets the latest state of each key.
    ///
    /// The cluster refuses (`invalidArgument`, ending the stream) a prefix with more than 1,000 keys held or
    /// waited for when the watch starts; watch a narrower prefix. Otherwise as ``watch(_:)``.
    public func watch(prefix: String) -> AsyncThrowingStream<KeyState, any Error> {
        makeWatch { () throws(PadlockError) in .prefix(try Self.validateKey(prefix)) }
    }

    private func makeWatch(_ target: () throws(PadlockError) -> WatchTarget) -> AsyncThrowingStream<KeyState, any Error>
    {
        let handle = self.handle
        let id = handle.flags.makeCallID()
        let queue = WatchQueue(keyLimit: configuration.maximumUnreadKeysPerWatch) {
            _ = handle.loop.postBeyondCapacity { handle.core.value.unwatch(id) }
        }
        let token = WatchToken(queue)
        let stream = AsyncThrowingStream<KeyState, any Error>(unfolding: {
            let next = try await token.queue.next()
            withExtendedLifetime(token) {}
            return next
        })
        let validated: WatchTarget
        do {
            validated = try target()
        } catch {
            queue.finish(error)
            return stream
        }
        if handle.flags.isClosed {
            queue.finish(.clientClosed)
            return stream
        }
        switch handle.loop.post({ handle.core.value.watch(id, validated, queue) }) {
        case .accepted: break
        case .overloaded: queue.finish(.clientBusy)
        case .stopped: queue.finish(.clientClosed)
        }
        return stream
    }
}

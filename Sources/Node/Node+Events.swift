import LockTable
import PadlockTypes
import Wire

extension Node {
    /// Adds to the connection's subscription (leader only, `docs/events.md`).
    func subscribe(_ subscription: Subscription, _ reply: ReplyTarget) {
        respond(reply, .failure(.unavailable(reason: "events are being built", retryAfterMilliseconds: 1_000)))
    }

    /// Removes from the connection's subscription.
    func unsubscribe(_ subscription: Subscription, _ reply: ReplyTarget) {
        respond(reply, .failure(.unavailable(reason: "events are being built", retryAfterMilliseconds: 1_000)))
    }
}

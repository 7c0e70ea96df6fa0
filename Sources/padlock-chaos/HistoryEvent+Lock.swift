import PadlockClient

extension HistoryEvent {
    /// Names `lock`'s grant on this event: the session holding it and its fence.
    mutating func name(_ lock: Lock) {
        session = lock.holder.session.rawValue
        fence = lock.fence.rawValue
    }

    /// Releases `lock` and records how that ended on this event: `ok`; `fail` when the cluster answered that the
    /// lock or its session was already gone (so it was certainly not held any more); `info` for any other error,
    /// whose outcome the history cannot know.
    mutating func release(_ lock: Lock) async {
        do {
            try await lock.release()
            type = "ok"
        } catch {
            self.error = error.code.name
            switch error.code {
            case .lockLost, .sessionExpired: type = "fail"
            default: type = "info"
            }
        }
    }
}

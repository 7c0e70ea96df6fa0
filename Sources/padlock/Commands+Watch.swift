import ArgumentParser
import Foundation
import PadlockClient
import PadlockTypes

#if canImport(Glibc)
    import Glibc
#endif

/// `padlock watch KEY [--prefix] [--json]`: the key's state now, then one line per change, until Ctrl-C.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a key (or every key under a prefix): its state now, then each change, until Ctrl-C.",
        discussion: """
            Each line is one state: free, held (every holder with owner, mode, fence, note and since) or \
            lock-delayed until a time, with the number of waiters. Watching never joins the queue. The watch \
            survives reconnects and leader changes. With --json each line is one JSON object whose "state" is \
            "free", "held" or "lockDelayed".
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The key, such as acme/contacts/42; with --prefix, the subtree to follow.") var key: String
    @Flag(help: "Follow every key at or under KEY (at most 1,000 of them locked when the watch starts).")
    var prefix = false
    @Flag(help: "Print one JSON object per line.") var json = false

    func run() async throws {
        let interrupt = SignalLatch(signals: [SIGINT, SIGTERM])
        try await withClient(connection) { (client) async throws(PadlockError) in
            let states = prefix ? client.watch(prefix: key) : client.watch(key)
            let failure = await Self.follow(states, json: json, until: interrupt)
            if let failure { throw failure }
        }
    }

    /// Prints every state until the stream ends or fails, or until Ctrl-C/SIGTERM.
    private static func follow(
        _ states: AsyncThrowingStream<KeyState, any Error>, json: Bool, until interrupt: SignalLatch
    ) async -> PadlockError? {
        await withTaskGroup(of: PadlockError?.self) { group in
            group.addTask {
                do {
                    for try await state in states {
                        print(json ? Formatting.json(state) : Formatting.line(state))
                        fflush(nil)
                    }
                    return nil
                } catch let error as PadlockError {
                    return error.code == .cancelled ? nil : error
                } catch {
                    return nil
                }
            }
            group.addTask {
                while !interrupt.hasFired && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

extension Formatting {
    /// A watch state for people: the time it was printed, then the state.
    static func line(_ state: KeyState) -> String {
        "\(clock(Date())) \(state)"
    }

    /// A watch state as one line of JSON.
    static func json(_ state: KeyState) -> String {
        var object: [String: Any] = ["key": state.key.string, "index": state.index, "waiters": state.waiterCount]
        switch state.status {
        case .free:
            object["state"] = "free"
        case .held:
            object["state"] = "held"
        case .lockDelayed(let until):
            object["state"] = "lockDelayed"
            object["lockDelayedUntil"] = iso(until)
        }
        object["holders"] = state.holders.map { info -> [String: Any] in
            [
                "key": info.key.string, "owner": info.holder.owner, "mode": "\(info.holder.mode)",
                "fence": info.holder.fence.rawValue, "session": info.holder.session.rawValue,
                "note": info.holder.note, "since": iso(info.holder.since.date),
            ]
        }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st.
    static func ordinal(_ number: Int) -> String {
        let suffix: String
        switch (number % 10, number % 100) {
        case (_, 11...13): suffix = "th"
        case (1, _): suffix = "st"
        case (2, _): suffix = "nd"
        case (3, _): suffix = "rd"
        default: suffix = "th"
        }
        return "\(number)\(suffix)"
    }

    private static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    private static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }
}

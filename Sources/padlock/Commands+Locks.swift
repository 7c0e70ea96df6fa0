import ArgumentParser
import Foundation
import PadlockClient
import PadlockTypes

#if canImport(Glibc)
    import Glibc
#endif

/// `padlock lock KEY… [--role ROLE]… [-- CMD ARGS…]`: takes the lock (several keys: all or none, one fence),
/// prints its fence, and holds it while CMD runs (with the fence in `PADLOCK_FENCE`) or until interrupted;
/// then releases it.
struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Take a lock (or several, all or none) and hold it while a command runs (or until Ctrl-C).",
        discussion: """
            The command sees PADLOCK_KEY and PADLOCK_FENCE; pass the fence with every write so the store can \
            refuse a stale holder. With several keys they are granted all at once under one fence, or none is \
            (a wait queues them as one request); PADLOCK_KEY is then the first and PADLOCK_KEYS lists them all, \
            one per line. --role names the user's roles for holds (rule locks): a hold exempting one of them \
            lets the lock through (audited); otherwise a hold refuses it at once, printing the rule and reason. It starts with no signal blocked and default signal handling. If the lock is \
            lost while it runs, the command gets SIGTERM (SIGKILL after --grace) and padlock exits with status 7. \
            Ctrl-C or SIGTERM to padlock is passed on the same way. With --takeover REASON the lock is granted at \
            once: every conflicting holder loses its lock (told the reason; audited) and the new fence is above \
            theirs. Exit status: the command's own (128 + N when signal N ended it), 3 when the key is held by \
            another or refused by a hold, 6 when a takeover is not allowed, 127 when the command cannot be started.
            """)

    @OptionGroup var connection: ConnectionOptions
    /// The keys, then (after `--`) the command: ArgumentParser allows one positional array, so the command
    /// is told apart by the terminator in the process's own arguments.
    @Argument(
        help: ArgumentHelp(
            "The key, such as acme/contacts/42 or acme/contacts/42/phone; several keys: all or none. After --: "
                + "the command to run while holding the lock.", valueName: "key"))
    var arguments: [String] = []

    /// The command to run while holding the lock: what follows `--`.
    var command: [String] { Self.command(in: Array(CommandLine.arguments.dropFirst()), parsed: arguments) }
    /// The keys to lock: the positional arguments before `--`.
    var keys: [String] { Array(arguments.dropLast(command.count)) }

    /// What follows the first `--` of `raw` (the process's arguments), as far as the parser counted it
    /// among `parsed` (its positional values).
    static func command(in raw: [String], parsed: [String]) -> [String] {
        guard let terminator = raw.firstIndex(of: "--") else { return [] }
        let after = Array(raw[(terminator + 1)...])
        return parsed.count >= after.count && Array(parsed.suffix(after.count)) == after ? after : []
    }
    @Option(help: "The owner label others see, such as alice@frontend-2.") var owner: String = defaultOwner
    @Flag(help: "Take a shared (view/approve) lock instead of an exclusive one.") var shared = false
    @Option(help: "Session TTL, such as 15s (2s to 1h).") var ttl: String = "15s"
    @Option(help: "How long to wait in line when the key is held, such as 5s (0: try once).") var wait: String = "0s"
    @Option(help: "A note others see with the lock, such as \"editing phone number\".") var note: String = ""
    @Option(
        name: .customLong("role"),
        help: ArgumentHelp(
            "A role of the user, such as finance-admin, checked against holds; repeat for several.",
            valueName: "role"))
    var roles: [String] = []
    @Option(help: "How long the command has to end after SIGTERM before it gets SIGKILL, such as 10s.")
    var grace: String = "10s"
    @Option(
        help: ArgumentHelp(
            "Take the lock over at once, ending every conflicting holder; the reason is audited and told to them.",
            discussion: "Allowed to admin clients and to clients the configuration names for the key's namespace.",
            valueName: "reason"))
    var takeover: String?

    func validate() throws {
        guard parseDuration(ttl) != nil, parseDuration(wait) != nil, parseDuration(grace) != nil else {
            throw ValidationError("--ttl, --wait and --grace take durations such as 500ms, 15s or 1m")
        }
        guard !keys.isEmpty else { throw ValidationError("give the key to lock, such as acme/contacts/42") }
        if let takeover {
            guard keys.count == 1 else { throw ValidationError("--takeover takes over one key; give only one") }
            guard roles.isEmpty else { throw ValidationError("--takeover claims no roles; drop --role") }
            guard !takeover.isEmpty else {
                throw ValidationError("--takeover needs a reason: the previous holders are told it, and it is audited")
            }
            guard parseDuration(wait) == .zero else {
                throw ValidationError("--takeover is granted at once and never waits; drop --wait")
            }
        }
    }

    func run() async throws {
        let ttl = parseDuration(ttl) ?? .seconds(15)
        var status: Int32 = 0
        try await withClient(connection, owner: owner, ttl: ttl) { (client) async throws(PadlockError) in
            let locks = try await take(client)
            // A script reading our output waits for this line while the lock is held: do not let it sit in a
            // pipe's buffer until we exit.
            fflush(nil)
            status = await hold(locks)
            if let lost = locks.first(where: { $0.state == .lost }) {
                // `hold` reports a loss that stopped the command; one that came just after it ended is said here.
                if status != ExitStatus.lockLost.rawValue {
                    FileHandle.standardError.write(Data("padlock: \(Self.lost(lost)) before it was released\n".utf8))
                    status = ExitStatus.lockLost.rawValue
                }
                for lock in locks where lock.state != .lost { try? await lock.release() }
                return
            }
            for lock in locks {
                do throws(PadlockError) {
                    try await lock.release()
                    print("released \(lock.key)")
                } catch  where error.code == .lockLost || error.code == .sessionExpired {
                    FileHandle.standardError.write(Data("padlock: \(Self.lost(lock)) before it was released\n".utf8))
                    status = ExitStatus.lockLost.rawValue
                }
            }
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Takes the lock (over, with --takeover; all keys at once when several) and prints what was granted.
    private func take(_ client: PadlockClient) async throws(PadlockError) -> [Lock] {
        let mode: LockMode = shared ? .shared : .exclusive
        if let takeover {
            // Who held it just before, to say whom it was taken from (the grant's answer names only us).
            let before = try? await client.inspect(keys[0])
            let lock = try await client.acquire(keys[0], mode: mode, note: note, takeover: takeover)
            print(Self.tookOver(lock, before: before))
            return [lock]
        }
        let wait = parseDuration(wait) ?? .zero
        let subject = keys.joined(separator: ", ")
        let onQueuePosition: @Sendable (Int) -> Void = { position in
            print("waiting for \(subject): \(Formatting.ordinal(position)) in line")
            fflush(nil)
        }
        let locks: [Lock]
        if keys.count == 1 {
            locks = [
                try await client.acquire(
                    keys[0], mode: mode, roles: roles, wait: wait, note: note, onQueuePosition: onQueuePosition)
            ]
        } else {
            locks = try await client.acquire(
                keys: keys, mode: mode, roles: roles, wait: wait, note: note, onQueuePosition: onQueuePosition)
        }
        guard let first = locks.first else { return locks }
        print(
            "locked \(locks.map(\.key.string).joined(separator: ", ")) fence \(first.fence.rawValue) "
                + "(\(first.holder.mode), session \(first.holder.session.rawValue))")
        return locks
    }

    /// `took over acme/contacts/7 fence 57 (exclusive, session 12)`, then one line per holder whose lock
    /// conflicted just before the takeover (it ended their locks; the cluster tells each of them the reason).
    static func tookOver(_ lock: Lock, before: Inspection?) -> String {
        var lines = [
            "took over \(lock.key) fence \(lock.fence.rawValue) (\(lock.holder.mode), session "
                + "\(lock.holder.session.rawValue))"
        ]
        let ended = (before?.holders ?? []).filter { held in
            !held.holder.mode.isCompatible(with: lock.holder.mode) && held.holder.fence < lock.fence
                && held.holder.session != lock.holder.session
        }
        if before != nil && ended.isEmpty { lines.append("no conflicting holder: granted as a plain lock") }
        for held in ended { lines.append("  from \(Formatting.holder(held.holder)) on \(held.key)") }
        return lines.joined(separator: "\n")
    }

    /// Holds the locks while the command runs, or until Ctrl-C; returns the exit status to end with.
    private func hold(_ locks: [Lock]) async -> Int32 {
        // Only now: until the lock is taken, Ctrl-C ends padlock at once (the wait in line with it).
        let interrupt = SignalLatch(signals: [SIGINT, SIGTERM])
        guard let lock = locks.first else { return 0 }
        guard !command.isEmpty else {
            print(locks.count == 1 ? "holding it; press Ctrl-C to release" : "holding them; press Ctrl-C to release")
            fflush(nil)
            while !interrupt.hasFired, !locks.contains(where: { $0.state == .lost }) {
                try? await Task.sleep(for: .milliseconds(50))
            }
            if let lost = locks.first(where: { $0.state == .lost }) {
                FileHandle.standardError.write(Data("padlock: \(Self.lost(lost))\n".utf8))
                return ExitStatus.lockLost.rawValue
            }
            return 0
        }
        var environment = ProcessInfo.processInfo.environment
        environment["PADLOCK_KEY"] = lock.key.string
        if locks.count > 1 { environment["PADLOCK_KEYS"] = locks.map(\.key.string).joined(separator: "\n") }
        environment["PADLOCK_FENCE"] = "\(lock.fence.rawValue)"
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(command, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("padlock: \(error)\n".utf8))
            return 127
        }
        return await watch(locks, child: child, interrupt: interrupt)
    }

    /// What a person is told when the lock was lost: which lock, who ended it and why.
    static func lost(_ lock: Lock) -> String {
        let why = lock.lossReason.map { ": \($0)" } ?? ""
        return "the lock on \(lock.key) (fence \(lock.fence.rawValue)) was lost\(why)"
    }

    /// Waits for the child to end, for the lock to be lost or for Ctrl-C/SIGTERM; in the last two cases stops
    /// the child (SIGTERM, SIGKILL after --grace) and waits for it.
    private func watch(_ locks: [Lock], child: ChildProcess, interrupt: SignalLatch) async -> Int32 {
        let grace = parseDuration(grace) ?? .seconds(10)
        while true {
            if let status = child.poll() { return status }
            if let lock = locks.first(where: { $0.state == .lost }) {
                FileHandle.standardError.write(
                    Data("padlock: \(Self.lost(lock)); stopping the command (pid \(child.pid))\n".utf8))
                _ = await child.stop(grace: grace)
                return ExitStatus.lockLost.rawValue
            }
            if interrupt.hasFired {
                return await child.stop(grace: grace)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// `padlock inspect KEY`.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show who holds and who waits for a key and everything overlapping it.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var key: String

    func run() async throws {
        try await withClient(connection) { (client) async throws(PadlockError) in
            print(Formatting.inspection(try await client.inspect(key)))
        }
    }
}

/// `padlock list [--prefix P] [--owner O]`.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List held locks, by key prefix and/or owner.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only keys in this subtree, such as acme/contacts.") var prefix: String?
    @Option(help: "Only locks held by this owner label.") var owner: String?
    @Option(help: "At most this many locks.") var limit: Int = 100

    func run() async throws {
        try await withClient(connection) { (client) async throws(PadlockError) in
            let locks = try await client.list(prefix: prefix, owner: owner, limit: limit)
            if locks.isEmpty { print("no locks held") }
            for lock in locks { print(Formatting.lock(lock)) }
        }
    }
}

/// `padlock check-fence KEY FENCE`: exit 0 when current, 3 when not.
struct CheckFence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-fence",
        abstract: "Say whether a fence is still the current holder's (exit 0) or not (exit 3).")
    @OptionGroup var connection: ConnectionOptions
    @Argument var key: String
    @Argument var fence: UInt64

    func run() async throws {
        var current = false
        try await withClient(connection) { (client) async throws(PadlockError) in
            let check = try await client.checkFence(key, FenceToken(fence))
            current = check.isCurrent
            print(Self.describe(check, key: key, fence: fence))
        }
        if !current { throw ExitCode(ExitStatus.held.rawValue) }
    }

    /// `fence 7 is not current for acme/contacts/42: the current fence is 9`, or `…: nobody holds it`.
    static func describe(_ check: FenceCheck, key: String, fence: UInt64) -> String {
        if check.isCurrent { return "fence \(fence) is current for \(key)" }
        guard let currentFence = check.currentFence else {
            return "fence \(fence) is not current for \(key): nobody holds it"
        }
        return "fence \(fence) is not current for \(key): the current fence is \(currentFence.rawValue)"
    }
}

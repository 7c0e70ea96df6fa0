import Foundation
import LockTable
import PadlockTypes

/// Runs one lock table script: commands, each followed by `> ` lines with the output it must produce.
///
/// Sessions are named in scripts (`open a owner=alice@fe ttl=10000`) and shown by name in the output; request
/// sequences are numbered per session automatically unless `seq=N` is given. Every applied command gets the
/// next log index; `time N` and `advance N` set the leader's stamp for the following entries.
struct ScriptRunner {
    var table = LockTable()
    var time: UInt64 = 1_000
    var namesByID: [SessionID: String] = [:]
    var idsByName: [String: SessionID] = [:]
    var nextSequence: [String: UInt64] = [:]
    var pendingName: String?

    /// Runs `text` and returns it with every output block replaced by what the commands actually produced.
    static func rewrite(_ text: String) -> String {
        var runner = ScriptRunner()
        var output: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(">") { continue }
            output.append(String(line))
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            output.append(contentsOf: runner.run(trimmed).map { "> " + $0 })
        }
        return output.joined(separator: "\n")
    }

    mutating func run(_ line: String) -> [String] {
        let words = Self.tokenize(line)
        var arguments = Arguments(words: Array(words.dropFirst()))
        do {
            return try run(words[0], &arguments)
        } catch {
            return ["script error: \(error)"]
        }
    }

    private mutating func run(_ verb: String, _ arguments: inout Arguments) throws -> [String] {
        switch verb {
        case "config":
            table = LockTable(configuration: try arguments.configuration())
            return []
        case "time":
            time = try arguments.number(0)
            return []
        case "advance":
            time += try arguments.number(0)
            return []
        case "inspect", "overlaps", "list", "fence", "audit", "counts", "session", "roundtrip", "holds":
            return try query(verb, &arguments)
        default:
            return try apply(try command(verb, &arguments))
        }
    }

    private mutating func command(_ verb: String, _ arguments: inout Arguments) throws -> Command {
        switch verb {
        case "open":
            pendingName = try arguments.word(0)
            return .openSession(
                owner: arguments.named["owner"] ?? "owner", nonce: try arguments.number("nonce", default: 1),
                ttlMilliseconds: try arguments.number("ttl", default: 10_000))
        case "close": return .closeSession(try request(&arguments))
        case "acquire" where arguments.named["roles"] != nil:
            let request = try request(&arguments)
            return .acquireKeys(
                request, keys: [try LockKey(try arguments.word(1))],
                mode: arguments.named["mode"] == "shared" ? .shared : .exclusive,
                waitMilliseconds: try arguments.number("wait", default: 0), note: try note(arguments),
                roles: Self.list(arguments.named["roles"]))
        case "acquire":
            let request = try request(&arguments)
            return .acquire(
                request, key: try LockKey(try arguments.word(1)),
                mode: arguments.named["mode"] == "shared" ? .shared : .exclusive,
                waitMilliseconds: try arguments.number("wait", default: 0), note: try note(arguments))
        case "release":
            let request = try request(&arguments)
            return .release(
                request, key: try LockKey(try arguments.word(1)), fence: FenceToken(try arguments.number("fence")))
        case "cancel": return .cancelWait(try request(&arguments), key: try LockKey(try arguments.word(1)))
        case "resolve":
            // Names the request to settle with `seq=N`; it does not use up a sequence number of its own.
            return .resolve(
                RequestID(session: try session(try arguments.word(0)), sequence: try arguments.number("seq")))
        case "force":
            return .forceUnlock(
                try request(&arguments), key: try LockKey(try arguments.word(1)),
                reason: try reason(arguments), admin: arguments.named["by"] ?? "admin")
        case "takeover":
            let request = try request(&arguments)
            return .takeover(
                request, key: try LockKey(try arguments.word(1)),
                mode: arguments.named["mode"] == "shared" ? .shared : .exclusive, note: try note(arguments),
                reason: try reason(arguments), admin: arguments.named["by"] ?? "admin")
        case "revoke":
            return .revokeSession(
                try request(&arguments), session: try session(try arguments.word(1)),
                reason: arguments.named["reason"] ?? "", admin: arguments.named["by"] ?? "admin")
        default: return try housekeeping(verb, &arguments)
        }
    }

    private mutating func housekeeping(_ verb: String, _ arguments: inout Arguments) throws -> Command {
        switch verb {
        case "expire-session":
            return .expireSession(try session(try arguments.word(0)), renewalGeneration: try arguments.number("gen"))
        case "expire-waiter":
            return .expireWaiter(
                RequestID(session: try session(try arguments.word(0)), sequence: try arguments.number("seq")))
        case "checkpoint":
            return .checkpointLeases([
                LeaseCheckpoint(
                    session: try session(try arguments.word(0)), renewalGeneration: try arguments.number("gen"),
                    remainingMilliseconds: try arguments.number("remaining"))
            ])
        default: return try holdCommand(verb, &arguments)
        }
    }

    /// The reason given, or `reason-bytes=N` bytes of filler for limit tests.
    func reason(_ arguments: Arguments) throws -> String {
        if arguments.named["reason-bytes"] != nil {
            return String(repeating: "r", count: Int(try arguments.number("reason-bytes")))
        }
        return arguments.named["reason"] ?? ""
    }

    /// The note given, or `note-bytes=N` bytes of filler for limit tests.
    func note(_ arguments: Arguments) throws -> String {
        if arguments.named["note-bytes"] != nil {
            return String(repeating: "n", count: Int(try arguments.number("note-bytes")))
        }
        return arguments.named["note"] ?? ""
    }

    mutating func request(_ arguments: inout Arguments) throws -> RequestID {
        let name = try arguments.word(0)
        let id = try session(name)
        let sequence: UInt64
        if arguments.named["seq"] != nil {
            sequence = try arguments.number("seq")
        } else {
            sequence = nextSequence[name, default: 1]
        }
        nextSequence[name] = max(nextSequence[name, default: 1], sequence + 1)
        return RequestID(session: id, sequence: sequence)
    }

    func session(_ name: String) throws -> SessionID {
        if name.hasPrefix("id:"), let raw = UInt64(name.dropFirst(3)) { return SessionID(raw) }
        guard let id = idsByName[name] else { throw ScriptError("unknown session name \(name)") }
        return id
    }

    private mutating func apply(_ command: Command) throws -> [String] {
        let index = table.lastAppliedIndex + 1
        let applied = table.apply(command, at: index, time: Timestamp(rawValue: time))
        if case let .sessionOpened(id, _) = applied.result, let name = pendingName, namesByID[id] == nil {
            namesByID[id] = name
            idsByName[name] = id
        }
        pendingName = nil
        var lines = ["#\(index) \(format(applied.result))"]
        lines += applied.events.map { "event \(format($0))" }
        return lines
    }
}

struct ScriptError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A command line's arguments: positional words and `name=value` pairs (values may be "quoted").
struct Arguments {
    var positional: [String] = []
    var named: [String: String] = [:]

    init(words: [String]) {
        for word in words {
            if let equals = word.firstIndex(of: "="), !word.hasPrefix("\"") {
                named[String(word[..<equals])] = String(word[word.index(after: equals)...])
            } else {
                positional.append(word)
            }
        }
    }

    func word(_ position: Int) throws -> String {
        guard position < positional.count else { throw ScriptError("missing argument \(position + 1)") }
        return positional[position]
    }

    func number(_ position: Int) throws -> UInt64 {
        guard let value = UInt64(try word(position)) else {
            throw ScriptError("argument \(position + 1) is not a number")
        }
        return value
    }

    func number(_ name: String, default fallback: UInt64? = nil) throws -> UInt64 {
        guard let text = named[name] else {
            if let fallback { return fallback }
            throw ScriptError("missing \(name)=")
        }
        guard let value = UInt64(text) else { throw ScriptError("\(name)=\(text) is not a number") }
        return value
    }

    func configuration() throws -> LockTableConfiguration {
        var configuration = LockTableConfiguration()
        for (name, value) in named {
            guard let number = UInt64(value) else { throw ScriptError("\(name)=\(value) is not a number") }
            switch name {
            case "sessions": configuration.sessionCountMax = Int(number)
            case "locks-per-session": configuration.locksPerSessionMax = Int(number)
            case "held": configuration.heldLockCountMax = Int(number)
            case "waiters-per-key": configuration.waitersPerKeyMax = Int(number)
            case "waiters": configuration.waiterCountMax = Int(number)
            case "audit": configuration.auditRecordCountMax = Int(number)
            case "ended": configuration.endedSessionMemoryMax = Int(number)
            case "lock-delay": configuration.lockDelayMillisecondsDefault = number
            case "page": configuration.pageSizeMax = Int(number)
            case "bug.ignores-overlapping-holders":
                configuration.injectedBugs.ignoresOverlappingHolders = number != 0
            case "bug.skips-deduplication": configuration.injectedBugs.skipsDeduplication = number != 0
            case let other where other.hasPrefix("delay."):
                configuration.lockDelayMillisecondsByNamespace[String(other.dropFirst(6))] = number
            default: throw ScriptError("unknown setting \(name)")
            }
        }
        return configuration
    }
}

extension ScriptRunner {
    static func tokenize(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
            } else if character == " " && !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

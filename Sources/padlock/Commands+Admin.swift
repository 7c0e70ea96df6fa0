import ArgumentParser
import Foundation
import PadlockClient
import PadlockTypes

/// `padlock unlock --force KEY --reason TEXT`.
struct Unlock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release a key by force, whoever holds it; the reason is audited.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Required: this releases another user's lock.") var force = false
    @Argument var key: String
    @Option(help: "Why, for the audit trail.") var reason: String

    func validate() throws {
        guard force else { throw ValidationError("unlock releases someone else's lock: add --force to confirm") }
    }

    func run() async throws {
        try await withClient(connection) { (client) async throws(PadlockError) in
            let previous = try await client.forceUnlock(key, reason: reason)
            if previous.isEmpty { print("\(key) was not held") }
            for holder in previous { print("released \(key), held by \(Formatting.holder(holder))") }
        }
    }
}

/// `padlock revoke-session ID --reason TEXT`.
struct RevokeSession: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-session", abstract: "End a session (log a user out) and release its locks; audited.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var session: UInt64
    @Option(help: "Why, for the audit trail.") var reason: String

    func run() async throws {
        try await withClient(connection) { (client) async throws(PadlockError) in
            try await client.revokeSession(SessionID(session), reason: reason)
            print("revoked session \(session)")
        }
    }
}

/// `padlock audit`.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show the audit trail: force-unlocks, takeovers, revocations, expiries, holds placed, lifted, bypassed.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only records after this sequence number.") var after: UInt64?
    @Option(help: "At most this many records.") var limit: Int = 100

    func run() async throws {
        try await withClient(connection) { (client) async throws(PadlockError) in
            let page = try await client.audit(after: after, limit: limit)
            if page.records.isEmpty { print("no audit records") }
            for record in page.records { print(Formatting.audit(record)) }
            if let next = page.next { print("… more: padlock audit --after \(next)") }
        }
    }
}

/// `padlock member list|add|promote|remove`.
struct Member: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or change the cluster's members.",
        subcommands: [MemberList.self, MemberAdd.self, MemberPromote.self, MemberRemove.self],
        defaultSubcommand: MemberList.self)

    /// Runs `call` on a client of `connection` and prints the member list the cluster answered with.
    static func printMembers(
        _ connection: ConnectionOptions, _ call: (PadlockClient) async throws(PadlockError) -> [MemberInfo]
    ) async throws {
        try await withClient(connection) { (client) async throws(PadlockError) in
            for member in try await call(client) { print(Formatting.member(member)) }
        }
    }

    struct MemberList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List members and their addresses.")
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await Member.printMembers(connection) { (client) async throws(PadlockError) in
                try await client.members()
            }
        }
    }

    struct MemberAdd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a node as a learner; start it with join = true, then promote it.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var node: UInt64
        @Option(help: "Where peers reach it, host:port.") var peer: String
        @Option(help: "Where clients reach it, host:port.") var client: String
        func validate() throws {
            for (flag, text) in [("--peer", peer), ("--client", client)] {
                do throws(SocketAddress.Problem) {
                    _ = try SocketAddress.parsing(text)
                } catch {
                    throw ValidationError("\(flag) must be \(SocketAddress.syntaxSummary); \(error.reason)")
                }
            }
        }
        func run() async throws {
            try await Member.printMembers(connection) { (padlock) async throws(PadlockError) in
                try await padlock.addMember(node: NodeID(node), peerAddress: peer, clientAddress: client)
            }
        }
    }

    struct MemberPromote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote", abstract: "Make a caught-up learner a voter.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var node: UInt64
        func run() async throws {
            try await Member.printMembers(connection) { (client) async throws(PadlockError) in
                try await client.promoteMember(NodeID(node))
            }
        }
    }

    struct MemberRemove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a voter or learner.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var node: UInt64
        func run() async throws {
            try await Member.printMembers(connection) { (client) async throws(PadlockError) in
                try await client.removeMember(NodeID(node))
            }
        }
    }
}

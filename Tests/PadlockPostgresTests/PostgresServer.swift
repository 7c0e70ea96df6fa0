import Foundation
import Glibc
import Logging
import PostgresNIO
import Subprocess
import SystemPackage

/// One throwaway PostgreSQL cluster for the whole test process, started at the first test that needs it:
/// `initdb` in a fresh temporary directory, `pg_ctl start` on a free loopback port with trust authentication,
/// fsync off. A watchdog in its own session holds the read end of a pipe whose write end only this process
/// has: when the process ends, however it ends (also a crash or SIGKILL), the pipe closes and the watchdog
/// stops the server immediately and removes the directory. At a normal exit the process waits for it.
///
/// PostgreSQL refuses to run as root, so as root (here and in CI) `initdb`, `pg_ctl` and the server run as
/// Debian's `postgres` user, in a directory that user owns.
struct PostgresServer: Sendable {
    let port: Int
    let directory: String

    static let shared = Task { try await PostgresServer.start() }

    /// The shared server, started on first use.
    static func running() async throws -> PostgresServer { try await shared.value }

    /// Debian keeps the server programs in /usr/lib/postgresql/VERSION/bin, off PATH; the newest version
    /// there wins. `PADLOCK_POSTGRES_BIN` overrides, and PATH is the last resort.
    static func binaries() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment["PADLOCK_POSTGRES_BIN"], !chosen.isEmpty { return chosen }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(directory)/initdb") {
            return String(directory)
        }
        throw ServerError(
            "initdb not found in /usr/lib/postgresql/*/bin nor on PATH: install Debian's postgresql package "
                + "(`make deps` does)")
    }

    /// `runuser -u postgres --` as root, nothing otherwise.
    static var asServerUser: [String] { getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : [] }

    private static func start() async throws -> PostgresServer {
        let bin = try binaries()
        let directory = try makeDirectory()
        do {
            try await command(
                asServerUser + [
                    "\(bin)/initdb", "-D", "\(directory)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                    "--locale=C", "--no-sync",
                ])
            let port = try await startServer(bin: bin, directory: directory)
            try startWatchdog(bin: bin, directory: directory)
            return PostgresServer(port: port, directory: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// A fresh directory the server's user owns.
    private static func makeDirectory() throws -> String {
        var template = Array("\(NSTemporaryDirectory())/padlock-postgres-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ServerError("mkdtemp failed: errno \(errno)") }
        let directory = String(cString: made)
        if getuid() == 0 {
            guard let user = getpwnam("postgres") else {
                throw ServerError("running as root, but there is no postgres user to run PostgreSQL as")
            }
            guard chown(directory, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw ServerError("chown \(directory) to postgres failed: errno \(errno)")
            }
        }
        return directory
    }

    /// Starts the server on a free loopback port, trying another port when one was taken meanwhile.
    private static func startServer(bin: String, directory: String) async throws -> Int {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = try freePort()
            let options =
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                + "-c full_page_writes=off -c max_connections=200"
            do {
                try await command(
                    asServerUser + [
                        "\(bin)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "120",
                        "-o", options, "start",
                    ])
                return port
            } catch {
                lastError = error
                // A server that did come up (it should not have) is stopped before the next attempt.
                try? await command(
                    asServerUser + ["\(bin)/pg_ctl", "-D", "\(directory)/data", "-m", "immediate", "stop"])
            }
        }
        let log = (try? String(contentsOfFile: "\(directory)/server.log", encoding: .utf8)) ?? ""
        throw ServerError("PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "") \(log.suffix(2000))")
    }

    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ServerError("socket failed: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw ServerError("binding a loopback port failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a short command to its end; throws with its output when it fails.
    static func command(_ arguments: [String]) async throws {
        let result = try await run(
            .path(FilePath(arguments[0])), arguments: Arguments(Array(arguments.dropFirst())),
            output: .string(limit: 1 << 20), error: .combinedWithOutput)
        guard result.terminationStatus.isSuccess else {
            throw ServerError("\(arguments.joined(separator: " ")) failed: \(result.standardOutput)")
        }
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

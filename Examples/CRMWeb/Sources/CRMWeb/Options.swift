import Foundation

/// Command-line options; `--help` prints `usage`.
struct Options: Sendable {
    var host = "127.0.0.1"
    var port = 8080
    var endpoints: [String] = []
    var cluster: UInt64 = 0
    var database = "crmweb.sqlite"
    var serverName = "frontend-1"
    var tenant = "acme"
    /// How long a rep's session lives without any request or open page (a closed browser) before its locks
    /// are released.
    var sessionLapse: Duration = .seconds(30)
    var help = false

    static let usage = """
        usage: CRMWeb [--port N] [--host ADDR] [--endpoints H:P,H:P,...] [--dev-dir DIR] [--database FILE|URL]
                      [--server-name NAME] [--tenant NAME] [--session-lapse SECONDS]

          --port            HTTP port on --host (default 8080 on 127.0.0.1)
          --endpoints       the cluster's client endpoints (default: $PADLOCK_ENDPOINTS, else DIR/endpoints)
          --dev-dir         the directory of `padlock dev` (default .padlock-dev, then ../../.padlock-dev):
                            endpoints and cluster id are read from it
          --database        where contacts and deals live: a SQLite file (default crmweb.sqlite), or PostgreSQL
                            as postgres://user[:password]@host:port/database; created and seeded when missing
          --server-name     this app server's name in owner labels: Alice@NAME (default frontend-1)
          --tenant          the namespace of every key (default acme)
          --session-lapse   seconds without a request or an open page before a rep's locks are released (30)
        """

    /// Whether `--database` names a PostgreSQL database rather than a SQLite file.
    var isPostgres: Bool { database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") }

    init(_ arguments: ArraySlice<String>) throws {
        var rest = arguments
        var devDir: String?
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw OptionsError("\(flag) needs a value") }
            return next
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--host": host = try value(flag)
            case "--port": port = try Self.number(try value(flag), flag)
            case "--endpoints": endpoints = try value(flag).split(separator: ",").map(String.init)
            case "--dev-dir": devDir = try value(flag)
            case "--database": database = try value(flag)
            case "--server-name": serverName = try value(flag)
            case "--tenant": tenant = try value(flag)
            case "--session-lapse": sessionLapse = .seconds(try Self.number(try value(flag), flag))
            case "--help", "-h": help = true
            default: throw OptionsError("unknown option \(flag)")
            }
        }
        try findCluster(devDir: devDir)
    }

    private mutating func findCluster(devDir: String?) throws {
        let directories = devDir.map { [$0] } ?? [".padlock-dev", "../../.padlock-dev"]
        let directory = directories.first { FileManager.default.fileExists(atPath: "\($0)/endpoints") }
        if let directory, let text = try? String(contentsOfFile: "\(directory)/cluster-id", encoding: .utf8) {
            cluster = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        guard endpoints.isEmpty, !help else { return }
        if let variable = ProcessInfo.processInfo.environment["PADLOCK_ENDPOINTS"], !variable.isEmpty {
            endpoints = variable.split(separator: ",").map(String.init)
        } else if let directory, let text = try? String(contentsOfFile: "\(directory)/endpoints", encoding: .utf8) {
            endpoints = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map(String.init)
        } else {
            throw OptionsError("no cluster endpoints: start `padlock dev`, or pass --endpoints")
        }
    }

    private static func number(_ text: String, _ flag: String) throws -> Int {
        guard let number = Int(text), number >= 0 else { throw OptionsError("\(flag) takes a number, not \(text)") }
        return number
    }
}

struct OptionsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

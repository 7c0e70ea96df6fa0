import Foundation

/// The command line, parsed by hand to keep the example's dependencies to Padlock, GRDB and swift-log.
struct Options {
    var databasePath: String
    var endpoints: [String]
    var editorCount = 4
    var rounds = 6
    var contactCount = 4
    var tenant = "acme"
    var seed: UInt64 = 1
    var help = false

    static let usage = """
        usage: crm-editor [--database PATH] [--endpoints HOST:PORT,...] [--editors 3-8] [--rounds 1-100]
                          [--contacts 3-50] [--tenant NAME] [--seed N]

        Edits contacts in a SQLite database under Padlock locks. Endpoints come from --endpoints, else
        PADLOCK_ENDPOINTS, else .padlock-dev/endpoints (written by `make run` / `padlock dev`, looked for here
        and two directories up), else 127.0.0.1:7401,127.0.0.1:7402,127.0.0.1:7403. The database defaults to a
        new file in the temporary directory.
        """

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    init(_ arguments: some Sequence<String>) throws {
        databasePath =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("crm-editor-\(ProcessInfo.processInfo.processIdentifier).sqlite").path
        endpoints = Self.defaultEndpoints()
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument == "--help" || argument == "-h" {
                help = true
                continue
            }
            guard let value = iterator.next() else { throw Invalid(description: "\(argument) needs a value") }
            try set(argument, value)
        }
    }

    private mutating func set(_ option: String, _ value: String) throws {
        func number(_ range: ClosedRange<Int>) throws -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw Invalid(description: "\(option) must be a number in \(range), got \(value)")
            }
            return number
        }
        switch option {
        case "--database": databasePath = value
        case "--endpoints": endpoints = Self.split(value)
        case "--editors": editorCount = try number(3...8)
        case "--rounds": rounds = try number(1...100)
        case "--contacts": contactCount = try number(3...50)
        case "--tenant": tenant = value
        case "--seed": seed = UInt64(try number(0...Int.max))
        default: throw Invalid(description: "unknown option \(option)")
        }
    }

    static func defaultEndpoints() -> [String] {
        if let environment = ProcessInfo.processInfo.environment["PADLOCK_ENDPOINTS"], !environment.isEmpty {
            return split(environment)
        }
        for file in [".padlock-dev/endpoints", "../../.padlock-dev/endpoints"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), !split(text).isEmpty {
                return split(text)
            }
        }
        return ["127.0.0.1:7401", "127.0.0.1:7402", "127.0.0.1:7403"]
    }

    static func split(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }
}

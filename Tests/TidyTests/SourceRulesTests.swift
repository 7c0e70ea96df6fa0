import Foundation
import Testing

/// The code rules of docs/HACKING.md that a reader would otherwise have to check by eye, checked over every
/// Swift file in Sources. Each finding names the file and line.

/// A function's or initializer's length, from its keyword to its closing brace, at most.
let functionLineMax = 70
/// A source file's length at most: past it, a file holds more than one concern and should be split.
let fileLineMax = 400

/// Files allowed past `fileLineMax`, each with its reason. Empty today; an entry needs a reason a reviewer
/// accepts, not "it grew".
let longFileExceptions: [String: String] = [:]

/// Modules whose code may use `try!`: developer tools, where a failure is a crash with a trace in the
/// developer's terminal and no user's data is at stake. Everything linked into padlockd, padlock, the client
/// library and the simulator uses typed errors or a `precondition` whose message says what broke.
let tryBangModules: Set<String> = ["padlock-bench", "padlock-fuzz", "padlock-chaos", "storage-crash-child"]

/// Call sites that drop a mailbox `post`'s answer, each with the reason it is still there. Each entry is a
/// known defect with a fix under way, not a permission: remove the entry with the fix.
let ignoredPostExceptions: [String: String] = [:]

/// One finding of a rule: where, and what.
struct Finding: CustomStringConvertible {
    var file: String
    var line: Int
    var problem: String
    var description: String { "\(file):\(line): \(problem)" }
}

/// Every Swift file under Sources, by path relative to Sources, with its text.
func sourceFiles() throws -> [(path: String, text: String)] {
    let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")
    guard let walker = FileManager.default.enumerator(atPath: sources.path) else { return [] }
    var files: [(String, String)] = []
    for case let path as String in walker where path.hasSuffix(".swift") {
        files.append((path, try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)))
    }
    return files.sorted { $0.0 < $1.0 }
}

enum SourceRules {
    static func longFunctions(in text: String, file: String) -> [Finding] {
        SwiftSourceScanner(text).bodies.filter { $0.lineCount > functionLineMax }.map {
            Finding(
                file: file, line: $0.firstLine,
                problem: "\($0.name) is \($0.lineCount) lines (at most \(functionLineMax)); split it")
        }
    }

    static func longFile(_ text: String, file: String) -> Finding? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
        guard lines > fileLineMax, longFileExceptions[file] == nil else { return nil }
        return Finding(
            file: file, line: fileLineMax + 1, problem: "the file has \(lines) lines (at most \(fileLineMax)); split it"
        )
    }

    static func tryBangs(in text: String, file: String) -> [Finding] {
        let problem = "`try!` outside tests and tools: throw, or catch and stop with a message that says what broke"
        return matches(of: #"\btry!"#, in: text, file: file, problem: problem)
    }

    /// A `post` whose `MailboxAnswer` goes nowhere: assigned to `_`, or called as a statement of its own.
    static func ignoredPosts(in text: String, file: String) -> [Finding] {
        let discarded = #"(^\s*|[;{]\s*)(_\s*=\s*)?([A-Za-z_][A-Za-z0-9_]*\s*\.\s*)*post\s*[({]"#
        let lines = SwiftSourceScanner(text).codeLines
        let problem = "the answer of `post` is ignored: handle a full or stopped mailbox"
        return matches(of: discarded, in: text, file: file, problem: problem).filter { finding in
            // The whole body of a function that returns the answer (`EventLoop.post` itself) passes it on.
            let previous = lines[..<(finding.line - 1)].last { !$0.allSatisfy(\.isWhitespace) } ?? ""
            return !previous.contains("-> MailboxAnswer")
        }
    }

    /// `post` must keep its answer visible to the compiler: `@discardableResult` on it would hide the misuse.
    static func discardablePost(in text: String, file: String) -> [Finding] {
        let lines = SwiftSourceScanner(text).codeLines
        return lines.indices.compactMap { index in
            guard index > 0, lines[index].range(of: #"\bfunc post\b"#, options: .regularExpression) != nil,
                lines[index - 1].contains("@discardableResult") || lines[index].contains("@discardableResult")
            else { return nil }
            return Finding(file: file, line: index + 1, problem: "`post` is marked @discardableResult")
        }
    }

    private static func matches(of pattern: String, in text: String, file: String, problem: String) -> [Finding] {
        SwiftSourceScanner(text).codeLines.enumerated().compactMap { index, line in
            line.range(of: pattern, options: .regularExpression) == nil
                ? nil : Finding(file: file, line: index + 1, problem: problem)
        }
    }

    static func module(of path: String) -> String { String(path.split(separator: "/").first ?? "") }
}

@Suite struct SourceRulesTests {
    @Test func noFunctionIsLongerThanSeventyLines() throws {
        let files = try sourceFiles()
        #expect(files.count > 100, "found only \(files.count) files")
        for (path, text) in files {
            for finding in SourceRules.longFunctions(in: text, file: path) { Issue.record("\(finding)") }
        }
    }

    @Test func noFileIsLongerThanTheCap() throws {
        for (path, text) in try sourceFiles() {
            if let finding = SourceRules.longFile(text, file: path) { Issue.record("\(finding)") }
        }
        for file in longFileExceptions.keys {
            #expect(try sourceFiles().contains { $0.path == file }, "the exception for \(file) names no file")
        }
    }

    @Test func noTryBangOutsideTools() throws {
        for (path, text) in try sourceFiles() where !tryBangModules.contains(SourceRules.module(of: path)) {
            for finding in SourceRules.tryBangs(in: text, file: path) { Issue.record("\(finding)") }
        }
    }

    @Test func noPostAnswerIsIgnored() throws {
        for (path, text) in try sourceFiles() {
            for finding in SourceRules.discardablePost(in: text, file: path) { Issue.record("\(finding)") }
            guard ignoredPostExceptions[path] == nil else { continue }
            for finding in SourceRules.ignoredPosts(in: text, file: path) { Issue.record("\(finding)") }
        }
    }
}

/// Each rule reports a violation planted in a small fixture, at the right line, and ignores look-alikes in
/// strings and comments: a check that cannot fail proves nothing.
@Suite struct SourceRulesBiteTests {
    @Test func aLongFunctionIsReportedAtItsFirstLine() {
        let body = (0..<(functionLineMax - 1)).map { "    let x\($0) = \"}{\" // }" }.joined(separator: "\n")
        let text = "struct S {\n    func short() { }\n    func long(_ a: [Int] = []) -> Int {\n\(body)\n    }\n}\n"
        let findings = SourceRules.longFunctions(in: text, file: "Fixture.swift")
        #expect(findings.map(\.description) == ["Fixture.swift:3: func long is 71 lines (at most 70); split it"])
    }

    @Test func bodiesAreMeasuredFromKeywordToClosingBrace() {
        let text = """
            protocol P { func required() }
            struct S {
                init(a: Int) {
                    let s = "\\(a + 1) } \\("{")"
                    _ = s
                }
                /* func fake() { */
                func multiline(
                    a: Int
                ) -> Int where Int: Equatable {
                    a
                }
                deinit {}
            }
            """
        let bodies = SwiftSourceScanner(text).bodies
        #expect(
            bodies == [
                .init(name: "init", firstLine: 3, lastLine: 6),
                .init(name: "func multiline", firstLine: 8, lastLine: 12),
                .init(name: "deinit", firstLine: 13, lastLine: 13),
            ])
    }

    @Test func aLongFileIsReported() {
        let text = String(repeating: "let a = 1\n", count: fileLineMax + 1)
        #expect(SourceRules.longFile(text, file: "Long.swift")?.description.hasPrefix("Long.swift:401:") == true)
        #expect(SourceRules.longFile(String(repeating: "\n", count: fileLineMax), file: "Short.swift") == nil)
    }

    @Test func tryBangIsReportedOutsideStringsAndComments() {
        let text = "let a = \"try!\"\n// try! in a comment\nlet b = try! f()\nlet c = try? f()\n"
        #expect(SourceRules.tryBangs(in: text, file: "T.swift").map(\.line) == [3])
    }

    @Test func anIgnoredPostIsReported() {
        let text = """
            _ = loop.post { work() }
            loop.post { work() }
            self.loop.post(job)
            let answer = loop.post { work() }
            guard loop.post(job) == .accepted else { return }
            print("loop.post { }")
            public func post(_ job: @escaping () -> Void) -> MailboxAnswer {
                core.post(job)
            }
            """
        #expect(SourceRules.ignoredPosts(in: text, file: "P.swift").map(\.line) == [1, 2, 3])
        let discardable = "@discardableResult\npublic func post(_ job: () -> Void) -> MailboxAnswer {}\n"
        #expect(SourceRules.discardablePost(in: discardable, file: "M.swift").map(\.line) == [2])
    }
}

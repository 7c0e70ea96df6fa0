import Foundation
import Testing

/// `public` is for the API a product exports; every other module uses `package` or internal access, so that
/// what users may depend on is exactly what the library products ship.
enum PublicRules {
    /// The `.library` products' targets in Package.swift, by name.
    static func libraryTargets(inManifest manifest: String) -> Set<String> {
        let library = #"\.library\(\s*name:\s*"[^"]*"\s*,\s*targets:\s*\[([^\]]*)\]"#
        var targets: Set<String> = []
        for list in captures(of: library, in: manifest) {
            targets.formUnion(captures(of: #""([^"]+)""#, in: list))
        }
        return targets
    }

    /// The modules a file re-exports with `@_exported import`.
    static func reexported(in text: String) -> Set<String> {
        let code = SwiftSourceScanner(text).codeLines.joined(separator: "\n")
        return Set(captures(of: #"@_exported\s+import\s+([A-Za-z_][A-Za-z0-9_]*)"#, in: code))
    }

    /// Each line whose code declares something `public` (`public`, `public(set)`), not a `.public` member.
    static func publicDeclarations(in text: String, file: String) -> [Finding] {
        SwiftSourceScanner(text).codeLines.enumerated().compactMap { index, line in
            line.range(of: #"(^|[^.A-Za-z0-9_`])public\b"#, options: .regularExpression) == nil
                ? nil
                : Finding(
                    file: file, line: index + 1,
                    problem: "`public` in a module no product exports: use `package` (or internal)")
        }
    }

    private static func captures(of pattern: String, in text: String) -> [String] {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
        let whole = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: whole).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}

/// The modules the products export: the library products' targets and what they re-export.
func exportedModules() throws -> Set<String> {
    let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
    let targets = PublicRules.libraryTargets(inManifest: manifest)
    var exported = targets
    for (path, text) in try sourceFiles() where targets.contains(SourceRules.module(of: path)) {
        exported.formUnion(PublicRules.reexported(in: text))
    }
    return exported
}

@Suite struct PublicRulesTests {
    @Test func onlyModulesThatAProductExportsDeclarePublic() throws {
        let exported = try exportedModules()
        // A new exported module is a decision about the API users may depend on: name it here when making it.
        #expect(exported == ["PadlockClient", "PadlockSQLite", "PadlockPostgres", "PadlockFencing", "PadlockTypes"])
        for (path, text) in try sourceFiles() where !exported.contains(SourceRules.module(of: path)) {
            for finding in PublicRules.publicDeclarations(in: text, file: path) { Issue.record("\(finding)") }
        }
    }

    @Test func aPublicDeclarationIsReportedOutsideStringsCommentsAndMembers() {
        let text = """
            public struct A {}
            package struct B { public(set) var c = 1 }
            let s = "public"  // public in a comment
            let level = Access.public
            /// The public view of a grant.
            package var d: Int
            """
        #expect(PublicRules.publicDeclarations(in: text, file: "F.swift").map(\.line) == [1, 2])
    }

    @Test func exportsAreReadFromTheManifestAndReexports() {
        let manifest = """
            products: [
                .executable(name: "tool", targets: ["tool"]),
                .library(name: "Lib", targets: ["Lib", "LibExtras"]),
                .library(
                    name: "Other", targets: ["Other"]),
            ],
            """
        #expect(PublicRules.libraryTargets(inManifest: manifest) == ["Lib", "LibExtras", "Other"])
        let text = "@_exported import Vocabulary\nimport Hidden\n// @_exported import Commented\n"
        #expect(PublicRules.reexported(in: text) == ["Vocabulary"])
    }
}

// Issue 19's "Done when": a file of an outside package that imports GRDB, PadlockClient and ServiceLifecycle
// compiles with the documented names, and the wire codec stays out of its reach. The fixture files live in
// Tests/OutsidePackage (not a target); they are typechecked with swiftc against the modules this build produced,
// without the package's `-package-name`, which is how another package sees the PadlockClient product.
import Foundation
import Subprocess
import SystemPackage
import Testing

@Suite struct OutsidePackageTests {
    @Test func aCRMAppServersFileCompilesAgainstThePublicProduct() async throws {
        let result = try await OutsideCompiler.typecheck("NamingCheck.swift")
        #expect(result.status == 0, "NamingCheck.swift did not typecheck:\n\(result.output)")
    }

    @Test func theWireCodecIsNotVisibleThroughPadlockClient() async throws {
        let result = try await OutsideCompiler.typecheck("CodecHidden.swift")
        #expect(result.status != 0, "CodecHidden.swift typechecked: the wire codec is visible to outside packages")
        for name in ["ClientRequest", "CorrelationID", "WireLimits", "ClientFailure", "ByteWriter"] {
            #expect(
                result.output.contains("cannot find '\(name)' in scope")
                    || result.output.contains("cannot find type '\(name)' in scope"),
                "expected \(name) to be unknown outside the package:\n\(result.output)")
        }
    }

    @Test func wiresDeclarationsArePackageOnlyEvenWhenItsModuleIsImported() async throws {
        let result = try await OutsideCompiler.typecheck("WireImported.swift")
        #expect(result.status != 0, "WireImported.swift typechecked: Wire declares something public")
        #expect(result.output.contains("cannot find 'ClientRequest' in scope"), "\(result.output)")
    }
}

/// Runs `swiftc -typecheck` on one fixture file with only the flags an outside package gets: the built
/// modules' directory and the module maps of the C modules they import (read from SwiftPM's build plan).
enum OutsideCompiler {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func typecheck(_ fixture: String) async throws -> (status: Int32, output: String) {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let source = repository.appendingPathComponent("Tests/OutsidePackage/\(fixture)").path
        let binaries = try binaryDirectory()
        let modules = binaries.appendingPathComponent("Modules").path
        var arguments = [
            "-typecheck", "-swift-version", "6", "-I", modules,
            "-module-cache-path", binaries.appendingPathComponent("ModuleCache").path,
        ]
        for map in try moduleMaps(binaries) { arguments += ["-Xcc", "-fmodule-map-file=\(map)"] }
        let result = try await run(
            .path(FilePath(try swiftc())), arguments: Arguments(arguments + [source]), output: .string(limit: 8 << 20),
            error: .combinedWithOutput)
        let status: Int32 =
            switch result.terminationStatus {
            case .exited(let code), .signaled(let code): code
            }
        return (status, result.standardOutput)
    }

    /// `.build/<triple>/debug`: where this test binary and the `Modules` directory are.
    static func binaryDirectory() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            if FileManager.default.fileExists(
                atPath: directory.appendingPathComponent("Modules/PadlockClient.swiftmodule").path)
            {
                return directory
            }
        }
        throw Failure(description: "no Modules/PadlockClient.swiftmodule above \(CommandLine.arguments[0])")
    }

    /// The `-fmodule-map-file` flags SwiftPM gave PadlockClientTests (which imports GRDB, PadlockClient and
    /// ServiceLifecycle too), from the build plan next to the build directory (`.build/debug.yaml`).
    static func moduleMaps(_ binaries: URL) throws -> [String] {
        var directory = binaries
        while directory.path != "/" {
            let plan = directory.appendingPathComponent("debug.yaml")
            if let text = try? String(contentsOf: plan, encoding: .utf8) {
                guard
                    let line = text.split(separator: "\n").first(where: {
                        $0.contains("\"-module-name\",\"PadlockClientTests\"")
                    })
                else { throw Failure(description: "\(plan.path) has no compile command for PadlockClientTests") }
                return line.split(separator: "\"").compactMap { part in
                    part.hasPrefix("-fmodule-map-file=") ? String(part.dropFirst("-fmodule-map-file=".count)) : nil
                }
            }
            directory.deleteLastPathComponent()
        }
        throw Failure(description: "no debug.yaml above \(binaries.path)")
    }

    /// The compiler of the toolchain running the tests: `SWIFT_EXEC`, else `swiftc` on the PATH.
    static func swiftc() throws -> String {
        if let exec = ProcessInfo.processInfo.environment["SWIFT_EXEC"], !exec.isEmpty { return exec }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/swiftc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(description: "swiftc is not on the PATH")
    }
}

import Foundation
import Testing

/// The module boundaries of docs/ARCHITECTURE.md, enforced: each module may import only what is listed.
/// A new module must be added here, so its boundary is a decision and not an accident.
private let allowedImports: [String: Set<String>] = [
    "PadlockTypes": [],
    // Raft's only import is the stdlib-only vocabulary, for the package's one seeded generator.
    "Raft": ["PadlockTypes"],
    // DequeModule: a data structure, no I/O (decision 0014).
    "LockTable": ["PadlockTypes", "DequeModule"],
    "Wire": ["PadlockTypes"],
    // Fuzzers, samples and fakes live beside the code they exercise, in modules no product links.
    "WireFuzzing": ["Wire", "PadlockTypes"],
    "Storage": ["PadlockTypes", "Glibc", "Foundation"],
    // Only this module touches libuv, and OpenSSL (decision 0010).
    "EventLoop": ["CLibUV", "COpenSSL", "Logging", "Glibc", "Synchronization", "Foundation"],
    "StorageTesting": ["Storage", "PadlockTypes", "Glibc"],
    "PeerWire": ["Raft", "PadlockTypes", "Wire"],
    "PeerWireFuzzing": ["PeerWire", "Raft", "Wire", "WireFuzzing", "PadlockTypes"],
    "LockHistory": ["PadlockTypes"],
    "Node": ["Raft", "LockTable", "Storage", "Wire", "PeerWire", "PadlockTypes", "HeapModule", "DequeModule"],
    "Simulation": [
        "Node", "Raft", "LockTable", "Storage", "StorageTesting", "Wire", "PeerWire", "PadlockTypes", "LockHistory",
        // The real client core, through ClientCoreDriver (issue 20).
        "PadlockClient",
    ],
    "PadlockConfig": ["PadlockTypes"],
    "ConfigFuzzing": ["PadlockConfig", "PadlockTypes"],
    "AdminHTTP": ["EventLoop", "Logging", "Glibc", "Foundation"],
    // Only this module touches swift-crypto (decision 0009); Glibc to read secret files and check their modes.
    "PadlockSecurity": ["Wire", "PadlockTypes", "Crypto", "Glibc"],
    "Server": [
        "Node", "EventLoop", "PeerWire", "Wire", "Storage", "Raft", "LockTable", "PadlockTypes", "PadlockConfig",
        "AdminHTTP", "PadlockSecurity", "Logging", "Prometheus", "DequeModule", "Glibc", "Foundation",
        "Synchronization",
    ],
    "PadlockClient": [
        "Wire", "EventLoop", "PadlockTypes", "Logging", "Metrics", "ServiceLifecycle", "Tracing", "Glibc", "Foundation",
        "Synchronization", "DequeModule",
    ],
    // The write outcome and name roles both store helpers share (docs/fencing.md).
    "PadlockFencing": ["PadlockTypes"],
    "PadlockSQLite": ["PadlockFencing", "PadlockTypes", "GRDB", "Foundation"],
    // postgres-nio (decision 0017); Synchronization for the helper's cache of the table's shape.
    "PadlockPostgres": ["PadlockFencing", "PadlockTypes", "PostgresNIO", "Logging", "Synchronization"],
    "FaultProxy": ["EventLoop", "Logging", "Glibc", "Foundation", "Synchronization"],
    "padlockd": [
        "Server", "PadlockConfig", "LockTable", "PadlockSecurity", "ArgumentParser", "Logging", "Glibc", "Foundation",
    ],
    // EventLoop in the tools: its BlockingSocket, for port probes and one-call-at-a-time connections.
    "padlock": [
        "PadlockClient", "PadlockTypes", "PadlockSecurity", "EventLoop", "ArgumentParser", "Logging", "Glibc",
        "Foundation",
        // The backup file format and its full check (`padlock backup verify`), pure bytes.
        "Node",
    ],
    "padlock-sim": ["Simulation", "ArgumentParser", "Glibc", "Foundation"],
    "padlock-chaos": [
        "PadlockClient", "PadlockTypes", "PadlockSQLite", "FaultProxy", "LockHistory", "EventLoop", "GRDB",
        "ArgumentParser", "Logging", "Glibc", "Foundation", "Synchronization",
    ],
    "padlock-bench": [
        "ArgumentParser", "Storage", "LockTable", "PadlockTypes", "PadlockClient", "Wire", "EventLoop", "Histogram",
        "Glibc",
        "Foundation", "CoreMetrics", "Synchronization", "Logging",
    ],
    "padlock-fuzz": [
        "WireFuzzing", "PeerWireFuzzing", "ConfigFuzzing", "PadlockTypes", "Simulation", "Glibc", "Foundation",
    ],
    "storage-crash-child": ["Storage", "Glibc", "Foundation"],
]

private let sourcesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Sources")

/// The module names imported by every Swift file of `module`, with the file they appear in.
private func imports(of module: String) throws -> [(file: String, module: String)] {
    let directory = sourcesDirectory.appendingPathComponent(module)
    guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return [] }
    var found: [(String, String)] = []
    for case let path as String in walker where path.hasSuffix(".swift") {
        let text = try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
            guard words.count >= 2, words[0] == "import" || (words.count >= 3 && words[1] == "import") else {
                continue
            }
            let name = words[0] == "import" ? words[1] : words[2]
            let imported = String(name.split(separator: ".").first ?? name)
            // Darwin is the platform C library on Apple systems, as Glibc is on Linux: one rule covers both.
            found.append((path, imported == "Darwin" ? "Glibc" : imported))
        }
    }
    return found
}

@Suite struct ImportRulesTests {
    @Test func everyModuleImportsOnlyWhatItsBoundaryAllows() throws {
        let modules = try FileManager.default.contentsOfDirectory(atPath: sourcesDirectory.path)
            .filter { $0 != "CLibUV" && $0 != "COpenSSL" && !$0.hasPrefix(".") }
        #expect(modules.contains("Raft") && modules.contains("EventLoop"), "found \(modules)")
        for module in modules.sorted() {
            let allowed = try #require(allowedImports[module], "module \(module) has no entry in allowedImports")
            for (file, imported) in try imports(of: module) where !allowed.contains(imported) {
                Issue.record("\(module)/\(file) imports \(imported), which its boundary does not allow")
            }
        }
    }

    /// What the shipped programs and libraries link, following the allowed imports from each.
    private func linkedByProducts() -> Set<String> {
        var linked: Set<String> = []
        var pending = ["padlockd", "padlock", "PadlockClient", "PadlockSQLite", "PadlockPostgres"]
        while let module = pending.popLast() {
            guard linked.insert(module).inserted else { continue }
            pending += allowedImports[module, default: []]
        }
        return linked
    }

    @Test func noShippedModuleLinksFuzzersOrFakes() {
        let linked = linkedByProducts()
        #expect(linked.contains("Wire") && linked.contains("Storage"), "found \(linked.sorted())")
        for module in linked.sorted() where module.hasSuffix("Fuzzing") || module.hasSuffix("Testing") {
            Issue.record("\(module) is reachable from a product; fuzzers and fakes stay out of shipped code")
        }
    }

    @Test func onlyEventLoopTouchesLibuv() throws {
        for (module, allowed) in allowedImports where module != "EventLoop" {
            #expect(!allowed.contains("CLibUV"), "\(module) must not be allowed to import CLibUV")
        }
        let eventLoopImports = try imports(of: "EventLoop").map(\.module)
        #expect(eventLoopImports.contains("CLibUV"))
    }

    @Test func onlyEventLoopTouchesOpenSSL() throws {
        for (module, allowed) in allowedImports where module != "EventLoop" {
            #expect(!allowed.contains("COpenSSL"), "\(module) must not be allowed to import COpenSSL")
        }
        let eventLoopImports = try imports(of: "EventLoop").map(\.module)
        #expect(eventLoopImports.contains("COpenSSL"))
    }
}

// swift-tools-version:6.0
// Padlock: a fenced, lease-based lock coordinator on Raft and libuv.
// Module boundaries follow docs/ARCHITECTURE.md; dependencies point inward.
import PackageDescription

let package = Package(
    name: "Padlock",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "padlock-bench", targets: ["padlock-bench"]),
        .executable(name: "padlock-chaos", targets: ["padlock-chaos"]),
        .executable(name: "padlock-fuzz", targets: ["padlock-fuzz"]),
        .executable(name: "padlock-sim", targets: ["padlock-sim"]),
        .executable(name: "padlockd", targets: ["padlockd"]),
        .executable(name: "padlock", targets: ["padlock"]),
        .library(name: "PadlockClient", targets: ["PadlockClient"]),
        .library(name: "PadlockSQLite", targets: ["PadlockSQLite"]),
        .library(name: "PadlockPostgres", targets: ["PadlockPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.1.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Each node's /metrics registry (decision 0012).
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Deque and Heap instead of hand-written queues and heaps (decision 0014).
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // Short child processes with captured output in tools and tests (decision 0015).
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        // FilePath, the type Subprocess names executables with on Linux.
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        // Resource-side fencing for PostgreSQL, async on SwiftNIO (decision 0017).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // MARK: Vocabulary shared by the state machine, the wire codec and the client.
        .target(name: "PadlockTypes"),
        .testTarget(name: "PadlockTypesTests", dependencies: ["PadlockTypes"]),

        // MARK: libuv runtime (the only code that touches libuv).
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        // MARK: TLS from Debian's OpenSSL 3 (decision 0010); only EventLoop imports it.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "EventLoop",
            dependencies: ["CLibUV", "COpenSSL", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "EventLoopTests",
            dependencies: [
                "EventLoop", "CLibUV", "PadlockTypes", .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),

        // MARK: Wire protocol.
        .target(name: "Wire", dependencies: ["PadlockTypes"]),
        // Seeded samples, mutators and the decoder fuzzer: padlock-fuzz and the tests link it, no product does.
        .target(name: "WireFuzzing", dependencies: ["Wire", "PadlockTypes"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "WireFuzzing", "PadlockTypes"]),

        // MARK: Raft consensus core (pure).
        .target(name: "Raft", dependencies: ["PadlockTypes"]),
        .testTarget(name: "RaftTests", dependencies: ["Raft", "PadlockTypes"], exclude: ["testdata"]),

        // MARK: Lock state machine (pure).
        .target(
            name: "LockTable",
            dependencies: ["PadlockTypes", .product(name: "DequeModule", package: "swift-collections")]
        ),
        .testTarget(name: "LockTableTests", dependencies: ["LockTable", "PadlockTypes"], exclude: ["testdata"]),

        // MARK: Durable storage.
        .target(name: "Storage", dependencies: ["PadlockTypes"]),
        // The simulated disk and the in-memory and fault-injecting log stores: the simulator and tests use them,
        // padlockd does not.
        .target(name: "StorageTesting", dependencies: ["Storage", "PadlockTypes"]),
        // Fixtures: a data directory of each on-disk format version, read by FormatFixtureTests.
        .testTarget(name: "StorageTests", dependencies: ["Storage", "StorageTesting"], exclude: ["Fixtures"]),
        // Appends until killed; StorageTests SIGKILLs it and checks recovery.
        .executableTarget(name: "storage-crash-child", dependencies: ["Storage"]),

        // MARK: Peer wire: Raft messages as bytes (message kinds 16 and up).
        .target(name: "PeerWire", dependencies: ["Raft", "PadlockTypes", "Wire"]),
        // Peer samples and the peer decoder fuzzer, outside the shipped code like WireFuzzing.
        .target(name: "PeerWireFuzzing", dependencies: ["PeerWire", "Raft", "Wire", "WireFuzzing"]),
        .testTarget(
            name: "PeerWireTests",
            dependencies: ["PeerWire", "PeerWireFuzzing", "WireFuzzing", "Raft", "PadlockTypes", "Wire"]
        ),

        // MARK: Lock histories and their checkers (pure).
        .target(name: "LockHistory", dependencies: ["PadlockTypes"]),
        .testTarget(name: "LockHistoryTests", dependencies: ["LockHistory", "PadlockTypes"]),

        // MARK: The node shell: Raft + LockTable + LogStore, generic over its environment.
        .target(
            name: "Node",
            dependencies: [
                "Raft", "LockTable", "Storage", "Wire", "PeerWire", "PadlockTypes",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "Node", "Raft", "LockTable", "Storage", "StorageTesting", "Wire", "PeerWire", "PadlockTypes",
            ]
        ),

        // MARK: The deterministic simulator running the real Node and the real client core.
        .target(
            name: "Simulation",
            dependencies: [
                "Node", "Raft", "LockTable", "Storage", "StorageTesting", "Wire", "PeerWire", "PadlockTypes",
                "LockHistory",
                // Simulated app servers run the client library's own core (ClientCoreDriver).
                "PadlockClient",
            ]
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "Node", "Raft", "LockTable", "Storage", "Wire", "PadlockTypes", "LockHistory"]
        ),

        // MARK: padlockd's configuration file (pure).
        .target(name: "PadlockConfig", dependencies: ["PadlockTypes"]),
        // Configuration samples, mutators and the TOML/settings fuzzer, outside the shipped code.
        .target(name: "ConfigFuzzing", dependencies: ["PadlockConfig", "PadlockTypes"]),
        .testTarget(name: "PadlockConfigTests", dependencies: ["PadlockConfig", "ConfigFuzzing", "PadlockTypes"]),

        // MARK: The admin port: a small HTTP/1.1 server on the event loop.
        .target(name: "AdminHTTP", dependencies: ["EventLoop", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "AdminHTTPTests",
            dependencies: ["AdminHTTP", "EventLoop", "PadlockTypes", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: Client tokens and peer proofs: SHA-256 and HMAC-SHA256 (swift-crypto, decision 0009).
        .target(
            name: "PadlockSecurity",
            dependencies: ["Wire", "PadlockTypes", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "PadlockSecurityTests", dependencies: ["PadlockSecurity", "Wire", "PadlockTypes"]),

        // MARK: The padlockd runtime: the node on the event loop, peer and client transports, admin port.
        .target(
            name: "Server",
            dependencies: [
                "Node", "EventLoop", "PeerWire", "Wire", "Storage", "Raft", "LockTable", "PadlockTypes",
                "PadlockConfig", "AdminHTTP", "PadlockSecurity", .product(name: "Logging", package: "swift-log"),
                // /metrics: one PrometheusCollectorRegistry per node (decision 0012).
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "EventLoop", "Node", "Raft", "Storage", "PadlockConfig", "PadlockTypes",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: The client library CRM app servers link.
        .target(
            name: "PadlockClient",
            dependencies: [
                "Wire", "EventLoop", "PadlockTypes", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                // The client is a Service of a ServiceGroup (decision 0011).
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Spans for every call and W3C trace context in the request (decision 0013).
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                // Each connection's backlog of requests waiting for the window (decision 0014).
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .testTarget(
            name: "PadlockClientTests",
            // GRDB: NamingTests compiles GRDB's and the client's names in one file (issue 19, item 1).
            dependencies: [
                "PadlockClient", "Wire", "EventLoop", "PadlockTypes", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                // OutsidePackageTests runs swiftc on its fixtures.
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),

        // MARK: Resource-side fencing for SQLite (GRDB), and a fault-injecting TCP proxy for tests and chaos.
        // The write outcome and the name rules both store helpers share (PadlockSQLite and PadlockPostgres
        // re-export it).
        .target(name: "PadlockFencing", dependencies: ["PadlockTypes"]),
        .target(
            name: "PadlockSQLite",
            dependencies: ["PadlockFencing", "PadlockTypes", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "PadlockSQLiteTests",
            dependencies: ["PadlockSQLite", "PadlockTypes", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // MARK: Resource-side fencing for PostgreSQL (postgres-nio, decision 0017), tested against a real server.
        .target(
            name: "PadlockPostgres",
            dependencies: [
                "PadlockFencing", "PadlockTypes", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PadlockPostgresTests",
            dependencies: [
                "PadlockPostgres", "PadlockFencing", "PadlockTypes",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(name: "FaultProxy", dependencies: ["EventLoop", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "FaultProxyTests", dependencies: ["FaultProxy", "EventLoop"]),

        // MARK: Real processes on loopback: padlockd, padlock and the client library together.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "PadlockClient", "Wire", "EventLoop", "PadlockTypes", "PadlockConfig", "LockTable", "Node", "Raft",
                "FaultProxy", "PadlockSQLite", "PadlockSecurity", "PeerWire", "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            // The documented /metrics families and the Prometheus parser's checks (MetricsTests).
            exclude: ["testdata"]
        ),

        // MARK: Executables.
        .executableTarget(
            name: "padlock-bench",
            dependencies: [
                // Wire: the pipelined and memory benchmarks speak the protocol directly (EventLoop: its socket).
                "Storage", "LockTable", "PadlockTypes", "PadlockClient", "Wire", "EventLoop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "padlock-fuzz",
            dependencies: ["WireFuzzing", "PeerWireFuzzing", "ConfigFuzzing", "PadlockTypes", "Simulation"]
        ),
        .executableTarget(
            name: "padlockd",
            dependencies: [
                "Server", "PadlockConfig", "LockTable", "PadlockSecurity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "padlock",
            dependencies: [
                // EventLoop: BlockingSocket, to wait for the dev cluster's ports to be free. Node: the backup file
                // format and its full check (`padlock backup verify`).
                "PadlockClient", "PadlockTypes", "PadlockSecurity", "EventLoop", "Node",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The chaos harness: real padlockd processes, FaultProxy on every link, a fenced SQLite workload
        // (chaos/README.md).
        .executableTarget(
            name: "padlock-chaos",
            dependencies: [
                "PadlockClient", "PadlockTypes", "PadlockSQLite", "FaultProxy", "LockHistory", "EventLoop",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "padlock-sim",
            dependencies: ["Simulation", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // MARK: Repository-wide checks (module boundaries).
        .testTarget(name: "TidyTests"),
    ]
)

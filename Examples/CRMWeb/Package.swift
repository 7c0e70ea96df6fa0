// swift-tools-version:6.0
// The CRM in a browser: a Hummingbird app server that edits contacts and deals in SQLite (or PostgreSQL) under
// Padlock locks, with live padlocks over Server-Sent Events. It depends on Padlock by path; see README.md.
import PackageDescription

let package = Package(
    name: "CRMWeb",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Padlock", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "CRMWeb",
            dependencies: [
                .product(name: "PadlockClient", package: "Padlock"),
                .product(name: "PadlockSQLite", package: "Padlock"),
                .product(name: "PadlockPostgres", package: "Padlock"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        )
    ]
)

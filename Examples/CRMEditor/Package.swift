// swift-tools-version:6.0
// A small CRM editor that edits contacts in SQLite under Padlock locks. It depends on Padlock by path, as an
// app server in the same repository would; see README.md.
import PackageDescription

let package = Package(
    name: "CRMEditor",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Padlock", path: "../.."),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "CRMEditor",
            dependencies: [
                .product(name: "PadlockClient", package: "Padlock"),
                .product(name: "PadlockSQLite", package: "Padlock"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        )
    ]
)

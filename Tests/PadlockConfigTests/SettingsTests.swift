import PadlockTypes
import Testing

@testable import PadlockConfig

@Suite struct SettingsTests {
    @Test func aMinimalDocumentGetsEveryDocumentedDefault() throws {
        let settings = try PadlockdSettings.parse(toml: validDocument)
        #expect(settings.clusterID == 7401)
        #expect(settings.nodeID == 1)
        #expect(settings.dataDirectory == "/var/lib/padlock/node-1")
        #expect(settings.clientListen == SocketAddress(host: "127.0.0.1", port: 7401))
        #expect(settings.peerListen.description == "127.0.0.1:7501")
        #expect(settings.adminListen == nil)
        #expect(settings.logLevel == .info)
        #expect(settings.join == false)
        #expect(settings.members.map(\.id) == [1, 2, 3])
        #expect(settings.members[2].client.description == "127.0.0.3:7401")
        #expect(settings.ownMember?.peer.description == "127.0.0.1:7501")
        #expect(settings.sessions.ttlMillisecondsMin == 2_000 && settings.sessions.ttlMillisecondsMax == 3_600_000)
        #expect(settings.lockDelay.millisecondsDefault == 5_000 && settings.lockDelay.millisecondsByNamespace == [:])
        #expect(
            limitValues(settings.limits)
                == [200_000, 1_000, 4_000_000, 128, 10_000, 10_000, 100_000, 10_000, 10_000, 10_000])
        #expect(raftValues(settings.raft) == [10, 10, 1, 50_000])
    }

    @Test func everyOptionalFieldIsRead() throws {
        let text = document(
            replacing: "peer-listen = \"127.0.0.1:7501\"",
            with: """
                peer-listen = "127.0.0.1:7501"
                admin-listen = "[::1]:7601"
                log-level = "debug"
                join = false
                """,
            appending: """
                [sessions]
                ttl-min = "5s"
                ttl-max = "10m"
                [lock-delay]
                default = "0s"
                [lock-delay.namespaces]
                acme = "10s"
                "t\\u00e9nant" = "1h"
                [limits]
                sessions = 1
                locks-per-session = 2
                held-locks = 3
                waiters-per-key = 4
                waiters = 5
                audit-records = 6
                pending-requests = 7
                client-connections = 1_000_000_000
                [raft]
                tick = "500ms"
                election-ticks = 20
                heartbeat-ticks = 2
                snapshot-entries = 1_000
                """)
        let settings = try PadlockdSettings.parse(toml: text)
        #expect(settings.adminListen == SocketAddress(host: "::1", port: 7601))
        #expect(settings.adminListen?.description == "[::1]:7601")
        #expect(settings.logLevel == .debug)
        #expect(settings.sessions.ttlMillisecondsMin == 5_000 && settings.sessions.ttlMillisecondsMax == 600_000)
        #expect(settings.lockDelay.millisecondsDefault == 0)
        #expect(settings.lockDelay.millisecondsByNamespace == ["acme": 10_000, "ténant": 3_600_000])
        #expect(
            limitValues(settings.limits) == [1, 2, 3, 4, 5, 6, 7, 1_000_000_000, 10_000, 10_000])
        #expect(raftValues(settings.raft) == [500, 20, 2, 1_000])
    }

    @Test func everyLogLevelNameIsAccepted() throws {
        for level in PadlockdSettings.LogLevel.allCases {
            let settings = try PadlockdSettings.parse(toml: "log-level = \"\(level.rawValue)\"\n" + validDocument)
            #expect(settings.logLevel == level)
        }
    }

    @Test func aJoiningNodeNeedNotBeAmongTheInitialMembers() throws {
        let text = document(replacing: "node-id = 1", with: "node-id = 4\njoin = true")
        let settings = try PadlockdSettings.parse(toml: text)
        #expect(settings.join && settings.nodeID == 4 && settings.ownMember == nil)
    }

    @Test func settingsWrittenOutReadBackEqual() throws {
        var settings = try PadlockdSettings.parse(toml: validDocument)
        settings.adminListen = SocketAddress(host: "fd00::1", port: 7601)
        settings.lockDelay.millisecondsByNamespace = ["acme": 90_000, "a b": 0, "x.y": 1]
        settings.sessions.ttlMillisecondsMin = 2_500
        settings.dataDirectory = "/srv/pad\"lock\"/\u{e9}"
        settings.raft.electionTicks = 30
        #expect(try PadlockdSettings.parse(toml: settings.tomlText) == settings, "\(settings.tomlText)")
    }

    @Test func theBytesOfAFileReadLikeItsText() throws {
        #expect(
            try PadlockdSettings.parse(tomlUTF8: Array(validDocument.utf8))
                == PadlockdSettings.parse(toml: validDocument))
        let broken = Array(validDocument.utf8) + [0xFE]
        let error = configError { () throws(ConfigError) in try PadlockdSettings.parse(tomlUTF8: broken) }
        #expect(error?.code == .syntax && error?.position?.line == 21)
    }

    @Test func addressesAreKeptInCanonicalForm() throws {
        let text = document(
            replacing: "client-listen = \"127.0.0.1:7401\"", with: "client-listen = \"[0:0:0:0:0:0:0:0]:7401\"")
        let settings = try PadlockdSettings.parse(toml: text)
        #expect(settings.clientListen.host == "::")
        #expect(settings.clientListen.isWildcard)
        #expect(settings.clientListen.description == "[::]:7401")
    }
}

/// Every limit, in `[limits]`' field order.
private func limitValues(_ limits: PadlockdSettings.Limits) -> [Int] {
    PadlockdSettings.limitFields.map { limits[keyPath: $0.keyPath] }
}

/// Tick (ms), election ticks, heartbeat ticks and snapshot threshold.
private func raftValues(_ tuning: PadlockdSettings.RaftTuning) -> [UInt64] {
    [
        tuning.tickMilliseconds, UInt64(tuning.electionTicks), UInt64(tuning.heartbeatTicks),
        tuning.snapshotEntryThreshold,
    ]
}

import PadlockConfig
import PadlockTypes

/// What the config fuzzer counts besides documents and failures.
package struct ConfigFuzzCounts: FuzzCounts {
    /// Documents the TOML layer accepted.
    package var tomlAcceptedCount = 0
    /// Documents the settings layer accepted too.
    package var settingsAcceptedCount = 0
    /// Generated valid documents confirmed to read back as the value they were written from.
    package var validConfirmedCount = 0

    /// All counts zero.
    package init() {}

    package var description: String {
        "\(tomlAcceptedCount) accepted as TOML, \(settingsAcceptedCount) accepted as settings, "
            + "\(validConfirmedCount) valid documents confirmed"
    }
}

/// What one config fuzz run saw: its inputs are documents, its broken properties a valid document refused or
/// misread, a round trip that changed a value, an error without its position or field; its errors are
/// counted as `layer code` (`toml syntax`, `settings unknownField`).
package typealias ConfigFuzzReport = FuzzReport<ConfigFuzzCounts>

/// A seeded random-document driver for both configuration layers, the TOML parser and the settings schema.
///
/// Each iteration writes a valid document (random settings in varied spellings, or a random TOML table), then
/// feeds either that document, random characters, or the document damaged by ``ConfigMutator`` through
/// `TOMLDocument.parse` and `PadlockdSettings(table:)`. A trap ends the process, so a finished run had none;
/// typed throws guarantee every refusal is a `ConfigError`. The report counts broken properties: valid
/// documents must read back as what was written, accepted documents must survive being written out and read
/// again, TOML errors must carry a position inside the document, and settings errors must name their field.
package enum ConfigFuzzer {
    /// What a correct reader must make of a generated document.
    enum Expectation {
        case settings(PadlockdSettings)
        case table(TOMLTable)
        case unknown
    }

    /// Runs `iterations` documents from `seed`; the same seed always gives the same documents.
    package static func run(seed: UInt64, iterations: Int) -> ConfigFuzzReport {
        var random = SplitMix64(seed: seed)
        var report = ConfigFuzzReport()
        for _ in 0..<iterations {
            let (valid, expectation) = sample(using: &random)
            switch random.below(10) {
            case 0, 1, 2:
                check(valid, expecting: expectation, report: &report)
            case 3:
                check(randomText(using: &random), expecting: .unknown, report: &report)
            case 4:
                checkBytes(ConfigMutator.mutateBytes(Array(valid.utf8), using: &random), report: &report)
            default:
                check(ConfigMutator.mutate(valid, using: &random), expecting: .unknown, report: &report)
            }
        }
        return report
    }

    /// A valid document and what it must read as.
    static func sample(using random: inout SplitMix64) -> (String, Expectation) {
        if random.chance(60) {
            let settings = ConfigSamples.settings(using: &random)
            return (SettingsWriter.document(settings, style: .varied, random: &random), .settings(settings))
        }
        let table = ConfigSamples.table(depth: 3, using: &random)
        return (TOMLVariedWriter.document(table, using: &random), .table(table))
    }

    /// Random characters from the grammar's alphabet.
    static func randomText(using random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<random.below(200) {
            if random.chance(20) {
                text += random.pick(ConfigMutator.tokens)
            } else {
                text.unicodeScalars.append(random.pick(ConfigMutator.characters))
            }
        }
        return text
    }

    /// Feeds `text` through both layers and checks every property.
    static func check(_ text: String, expecting expectation: Expectation, report: inout ConfigFuzzReport) {
        report.inputCount += 1
        let table: TOMLTable
        do {
            table = try TOMLDocument.parse(text)
        } catch {
            tally("toml", error, in: text, report: &report)
            if case .unknown = expectation {} else { report.recordFailure("valid document refused: \(error)\n\(text)") }
            return
        }
        report.tomlAcceptedCount += 1
        checkTableRoundTrip(table, report: &report)
        if case .table(let expected) = expectation {
            if table == expected {
                report.validConfirmedCount += 1
            } else {
                report.recordFailure("document read as \(table.keys), written from \(expected.keys)\n\(text)")
            }
        }
        checkSettings(table, text: text, expecting: expectation, report: &report)
    }

    /// Bytes through the UTF-8 entry points of both layers.
    static func checkBytes(_ bytes: [UInt8], report: inout ConfigFuzzReport) {
        report.inputCount += 1
        do {
            let table = try TOMLDocument.parse(utf8: bytes)
            report.tomlAcceptedCount += 1
            if (try? PadlockdSettings.parse(tomlUTF8: bytes)) != nil { report.settingsAcceptedCount += 1 }
            checkTableRoundTrip(table, report: &report)
        } catch {
            tally("toml", error, in: String(decoding: bytes, as: UTF8.self), report: &report)
        }
    }

    /// An accepted table written out canonically must read back equal.
    static func checkTableRoundTrip(_ table: TOMLTable, report: inout ConfigFuzzReport) {
        let rendered = TOMLRenderer.render(table)
        do {
            let again = try TOMLDocument.parse(rendered)
            if again != table { report.recordFailure("table changed in a round trip:\n\(rendered)") }
        } catch {
            report.recordFailure("rendered table refused (\(error)):\n\(rendered)")
        }
    }

    static func checkSettings(
        _ table: TOMLTable, text: String, expecting expectation: Expectation, report: inout ConfigFuzzReport
    ) {
        let settings: PadlockdSettings
        do {
            settings = try PadlockdSettings(table: table)
        } catch {
            tally("settings", error, in: text, report: &report)
            if case .settings = expectation { report.recordFailure("valid settings refused: \(error)\n\(text)") }
            return
        }
        report.settingsAcceptedCount += 1
        if case .settings(let expected) = expectation {
            if settings == expected {
                report.validConfirmedCount += 1
            } else {
                report.recordFailure("settings read as \(settings), written from \(expected)\n\(text)")
            }
        }
        do {
            let again = try PadlockdSettings.parse(toml: settings.tomlText)
            if again != settings { report.recordFailure("settings changed in a round trip:\n\(settings.tomlText)") }
        } catch {
            report.recordFailure("written settings refused (\(error)):\n\(settings.tomlText)")
        }
    }

    /// Counts an error and checks that it says where (TOML) or which field (settings).
    static func tally(_ layer: String, _ error: ConfigError, in text: String, report: inout ConfigFuzzReport) {
        report.errorCounts["\(layer) \(error.code)", default: 0] += 1
        if error.message.isEmpty || error.description.isEmpty { report.recordFailure("empty message: \(error.code)") }
        if layer == "toml" {
            guard let position = error.position else {
                if error.code != .limitExceeded { report.recordFailure("TOML error without a position: \(error)") }
                return
            }
            let lineCount = text.utf8.count { $0 == ASCII.lineFeed } + 1
            if position.line < 1 || position.line > lineCount || position.column < 1 {
                report.recordFailure("position \(position) outside the document (\(lineCount) lines): \(error)")
            }
        } else if let field = error.field {
            if !error.message.contains("`\(field)`") {
                report.recordFailure("message does not name \(field): \(error)")
            }
        } else {
            report.recordFailure("settings error without a field: \(error)")
        }
    }
}

import Foundation
import Testing

@testable import PadlockSecurity

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 18, finding 6: a secret file others can read is refused, with the file, its mode and the fix.
@Suite struct SecretFileTests {
    private func file(_ bytes: [UInt8], mode: mode_t) throws -> String {
        let path = NSTemporaryDirectory() + "/padlock-secret-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
        return path
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o601] as [mode_t])
    func aFileOthersCanReadIsRefused(mode: mode_t) throws {
        let path = try file(Array(repeating: 7, count: 32), mode: mode)
        defer { unlink(path) }
        #expect(throws: SecretFile.Problem.self) { try SecretFile.read(path, what: "cluster secret file", sizeMax: 64) }
        do {
            _ = try SecretFile.read(path, what: "cluster secret file", sizeMax: 64)
        } catch {
            #expect(error.description.contains("the cluster secret file \(path)"), "\(error)")
            #expect(error.description.contains("mode \(SecretFile.octal(UInt32(mode)))"), "\(error)")
            #expect(error.description.contains("chmod 600 \(path)"), "\(error)")
        }
    }

    @Test(arguments: [0o600, 0o400] as [mode_t])
    func anOwnerOnlyFileIsRead(mode: mode_t) throws {
        let bytes: [UInt8] = Array(0..<40)
        let path = try file(bytes, mode: mode)
        defer { unlink(path) }
        #expect(try SecretFile.read(path, what: "token file", sizeMax: 64) == bytes)
    }

    @Test func aMissingOrTooLongFileIsRefusedByName() throws {
        let missing = NSTemporaryDirectory() + "/padlock-no-such-secret-\(UUID().uuidString)"
        #expect(throws: SecretFile.Problem.self) { try SecretFile.checkMode(missing, what: "token file") }
        let path = try file(Array(repeating: 1, count: 100), mode: 0o600)
        defer { unlink(path) }
        do {
            _ = try SecretFile.read(path, what: "token file", sizeMax: 64)
            Issue.record("a 100-byte file was accepted with sizeMax 64")
        } catch {
            #expect(error.description.contains("longer than 64 bytes"), "\(error)")
        }
    }
}

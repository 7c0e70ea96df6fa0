import Crypto

/// SHA-256 of a client token, as padlockd's configuration stores it: 64 lowercase hex digits.
package enum TokenHash {
    /// The hex SHA-256 of `token`'s UTF-8 bytes.
    package static func hex(of token: String) -> String {
        hex(SHA256.hash(data: Array(token.utf8)))
    }

    /// The hex SHA-256 of `bytes`.
    package static func hex(ofBytes bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Names the store helpers put into SQL text unquoted (`PadlockSQLite`, `PadlockPostgres`).
public enum SQLIdentifier {
    /// Whether `name` is a plain SQL identifier, `[A-Za-z_][A-Za-z0-9_]*`, of at most `maximumBytes` bytes
    /// and outside the store's reserved namespace (`reservedPrefix`, compared without regard to ASCII case).
    /// Only such names are written into statements, so a name can never change what a statement does.
    public static func isPlain(_ name: String, maximumBytes: Int, reservedPrefix: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maximumBytes else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "_")
        }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard isLetter(first), bytes.allSatisfy({ isLetter($0) || isDigit($0) }) else { return false }
        return !name.lowercased().hasPrefix(reservedPrefix.lowercased())
    }
}

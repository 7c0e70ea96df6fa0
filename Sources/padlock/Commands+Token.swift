import ArgumentParser
import PadlockSecurity

/// `padlock token new` and `padlock token hash`: client tokens and the hashes padlockd's `[[clients]]` store.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Make client tokens and the SHA-256 that [[clients]] entries store.",
        subcommands: [New.self, Hash.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new random token and its token-sha256 line; give the token to the client only.")

        func run() {
            var generator = SystemRandomNumberGenerator()
            let digits = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
            let token = String(decoding: (0..<40).map { _ in digits.randomElement(using: &generator)! }, as: UTF8.self)
            print("token: \(token)")
            print("token-sha256 = \"\(TokenHash.hex(of: token))\"")
        }
    }

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the token-sha256 of a token.")
        @Argument(help: "The token.") var token: String

        func run() { print(TokenHash.hex(of: token)) }
    }
}

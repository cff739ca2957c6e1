import Crypto
import Foundation

/// API token secrets: 256 random bits, shown once, stored only as their SHA-256 (a fast hash is right here: the
/// secret has full entropy, so there is nothing to brute-force, and every request checks one).
public enum TokenSecret {
    public static let scheme = "dia_"

    /// `dia_` + 43 base64url characters. `SystemRandomNumberGenerator` reads the kernel's CSPRNG (getrandom).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return scheme + text
    }

    public static func digest(_ token: String) -> String {
        BlobStore.hex(SHA256.hash(data: Data(token.utf8)))
    }

    /// What the `token.create` event records of a token's digest, so `verify` finds a digest replaced in the catalog
    /// (a secret of one's own under an admin's token). A hash of the digest: the log is readable by everyone, and
    /// this tells nothing that would let anyone present the token.
    public static func auditFingerprint(digest: String) -> String {
        String(BlobStore.hex(SHA256.hash(data: Data("diarium-token-audit:\(digest)".utf8))).prefix(32))
    }

    /// What an operator sees to tell tokens apart: the scheme and the first 6 characters.
    public static func prefix(_ token: String) -> String {
        String(token.prefix(scheme.count + 6))
    }

    /// Whether the text has the shape of a token (checked before hashing, so junk costs nothing).
    public static func isWellFormed(_ token: String) -> Bool {
        token.hasPrefix(scheme) && token.utf8.count == scheme.utf8.count + 43
            && token.utf8.dropFirst(scheme.utf8.count).allSatisfy { byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}

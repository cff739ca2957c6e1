/// SplitMix64: a small, fast generator whose sequence depends only on its seed, so a mutation run is repeatable.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Byte-level mutations of valid inputs, for the fuzz tests that run without libFuzzer (in the test suite, and
/// `diarium-fuzz mutate`). libFuzzer's own mutations are coverage-guided and find more; these find the shallow
/// crashes (truncation, a stray delimiter, a doubled element) deterministically on every CI run.
public struct Mutator: Sendable {
    /// Tokens worth inserting for a target: its delimiters, escapes and keywords.
    public let dictionary: [[UInt8]]
    public let maxLength: Int

    public init(dictionary: [String] = [], maxLength: Int = 1 << 16) {
        self.dictionary = dictionary.map { Array($0.utf8) }
        self.maxLength = maxLength
    }

    /// One to four mutations of `input`; `other` is a second seed to splice from.
    public func mutate(_ input: [UInt8], splicing other: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            mutateOnce(&bytes, other: other, using: &random)
        }
        if bytes.count > maxLength { bytes.removeLast(bytes.count - maxLength) }
        return bytes
    }

    private func mutateOnce(_ bytes: inout [UInt8], other: [UInt8], using random: inout SeededGenerator) {
        let interesting: [UInt8] = [0, 0x0A, 0x0D, 0x20, 0x22, 0x25, 0x26, 0x27, 0x2B, 0x2D, 0x2F, 0x3A, 0x3C, 0x3E, 0x3F, 0x5C, 0x7F, 0x80, 0xC3, 0xFF]
        func position(inclusive: Bool = false) -> Int { Int.random(in: 0...(inclusive ? bytes.count : max(bytes.count - 1, 0)), using: &random) }
        switch Int.random(in: 0..<9, using: &random) {
        case 0 where !bytes.isEmpty:      // flip a bit
            bytes[position()] ^= 1 << UInt8.random(in: 0...7, using: &random)
        case 1 where !bytes.isEmpty:      // an interesting byte in place of one
            bytes[position()] = interesting.randomElement(using: &random)!
        case 2:                           // insert an interesting byte
            bytes.insert(interesting.randomElement(using: &random)!, at: position(inclusive: true))
        case 3 where !bytes.isEmpty:      // delete a range
            let start = position()
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...16, using: &random)))
        case 4 where !bytes.isEmpty:      // duplicate a range somewhere
            let start = position()
            let piece = bytes[start..<min(bytes.count, start + Int.random(in: 1...64, using: &random))]
            bytes.insert(contentsOf: piece, at: position(inclusive: true))
        case 5 where !bytes.isEmpty:      // truncate
            bytes.removeSubrange(position()...)
        case 6 where !dictionary.isEmpty: // insert a token of the format
            bytes.insert(contentsOf: dictionary.randomElement(using: &random)!, at: position(inclusive: true))
        case 7 where !other.isEmpty:      // splice: our head, the other seed's tail
            let cut = position(inclusive: true)
            let from = Int.random(in: 0..<other.count, using: &random)
            bytes = Array(bytes[..<cut]) + other[from...]
        default:                          // a run of one byte (long tokens, deep nesting)
            let byte = bytes.isEmpty ? interesting.randomElement(using: &random)! : bytes[position()]
            bytes.insert(contentsOf: repeatElement(byte, count: Int.random(in: 2...300, using: &random)), at: position(inclusive: true))
        }
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality, without allocating a lowered copy.
    func elementsEqualIgnoringCase(_ other: String) -> Bool {
        utf8.elementsEqual(other.utf8) { a, b in
            let fold: (UInt8) -> UInt8 = { (65...90).contains($0) ? $0 | 0x20 : $0 }
            return fold(a) == fold(b)
        }
    }
}

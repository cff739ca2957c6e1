#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding a byte sequence in a buffer: memchr for its first byte, then a compare (glibc's memmem is not visible to
/// Swift without _GNU_SOURCE). Shared by the multipart reader and format identification.
public enum ByteSearch {
    /// The first index in `from..<end` at which `needle` starts and ends within `haystack` (and before `end`).
    public static func firstIndex(of needle: [UInt8], in haystack: UnsafeRawBufferPointer, from: Int, to end: Int) -> Int? {
        let end = min(end, haystack.count)
        guard !needle.isEmpty, from >= 0, end - from >= needle.count, let base = haystack.baseAddress else { return nil }
        var i = from
        let lastStart = end - needle.count
        while i <= lastStart {
            guard let hit = memchr(base + i, Int32(needle[0]), lastStart - i + 1) else { return nil }
            let at = UnsafeRawPointer(hit) - base
            if memcmp(hit, needle, needle.count) == 0 { return at }
            i = at + 1
        }
        return nil
    }
}

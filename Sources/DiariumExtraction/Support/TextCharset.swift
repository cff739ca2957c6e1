import DiariumCore

/// The charset of a plain-text file, for the media type it is stored and served with and for `PlainText`, which
/// decides from the same first `sample` bytes: UTF-16 with a byte order mark, UTF-8 when those bytes are, otherwise
/// Windows-1252, the usual encoding of older Swedish text files. A browser shown Windows-1252 as UTF-8 shows every å,
/// ä and ö as "�".
public enum TextCharset {
    public static let sample = 1 << 20

    /// The charset label of these bytes (`complete`: they are the whole file, not its first `sample` bytes); nil
    /// for binary data (a NUL byte among the first 64 KiB, as `PlainText` judges it).
    public static func of(_ bytes: some Collection<UInt8>, complete: Bool) -> String? {
        // Called from other modules this runs unspecialised: the bytes are read through one buffer (Data and arrays
        // have one), not a witness call per byte (4 % of a small upload's CPU was this loop).
        let answer: String?? = bytes.withContiguousStorageIfAvailable { of(buffer: $0, complete: complete) }
        if let answer { return answer }
        return Array(bytes).withUnsafeBufferPointer { of(buffer: $0, complete: complete) }
    }

    private static func of(buffer bytes: UnsafeBufferPointer<UInt8>, complete: Bool) -> String? {
        if hasUTF16Mark(bytes) { return "utf-16" }
        guard isText(buffer: bytes) else { return nil }
        var decoder = UTF8ChunkDecoder(repairs: false)
        let prefix = bytes.prefix(sample)
        // A sample that ends inside a character is cut there; the rest of it is judged with the next bytes, unread.
        return decoder.decode(prefix, isLast: complete && prefix.count == bytes.count) == nil ? "windows-1252" : "utf-8"
    }

    /// Text rather than binary data: UTF-16 with a byte order mark, or no NUL byte among the first 64 KiB.
    public static func isText(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.withContiguousStorageIfAvailable(isText(buffer:)) ?? Array(bytes).withUnsafeBufferPointer(isText(buffer:))
    }

    private static func isText(buffer bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        hasUTF16Mark(bytes) || !bytes.prefix(65536).contains(0)
    }

    static func hasUTF16Mark(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF])
    }

    /// `of` the first `sample` bytes of a file; nil when it cannot be read.
    public static func ofFile(at path: String) -> String? {
        guard let file = try? InputFile(path: path, displayName: "content"), let bytes = try? file.read(upTo: sample) else { return nil }
        return of(bytes, complete: Int64(bytes.count) >= file.size)
    }

    /// `mediaType` with the charset of the content when it is plain text (text/plain, text/csv, text/markdown) that
    /// declares none; otherwise as given. `read`: the charset, asked only when one is needed.
    public static func completing(_ mediaType: String, read: () -> String?) -> String {
        guard MediaTypes.needsCharset(mediaType), let charset = read() else { return mediaType }
        return "\(mediaType); charset=\(charset)"
    }
}

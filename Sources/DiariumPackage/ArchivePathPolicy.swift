import DiariumCore

/// Which archive entries are safe to use, and under which relative path. Pure Swift: the same rules will guard
/// extraction to disk, where a `..`, an absolute name or a link is how an archive writes outside its directory.
public enum ArchivePathPolicy {
    public static let maxPathBytes = 4096
    public static let maxComponentBytes = 255

    /// The entry's path, normalised, if the entry is a plain file or directory with a safe name; otherwise throws
    /// `.invalidField` (field "archive") saying why.
    public static func check(_ entry: ArchiveEntry) throws(DiariumError) -> String {
        switch entry.kind {
        case .file, .directory:
            break
        case .hardLink:
            throw refused(entry.path, "hard links are not allowed (target '\(printable(entry.linkTarget ?? ""))')")
        case .symbolicLink:
            throw refused(entry.path, "symbolic links are not allowed (target '\(printable(entry.linkTarget ?? ""))')")
        case .other(let mode):
            throw refused(entry.path, "special files (devices, FIFOs, sockets) are not allowed (type 0o\(String(mode, radix: 8)))")
        }
        let path = try normalize(entry.path)
        // "./" names the archive root: harmless for a directory, meaningless for a file.
        if path.isEmpty && entry.kind != .directory { throw refused(entry.path, "the name has no file name part") }
        return path
    }

    /// A relative path with "/" separators, without "." or empty components and without a trailing slash ("" for
    /// the root). Refuses empty names, absolute and drive paths, `..` components, backslashes, NUL and other control
    /// characters, and overlong names.
    public static func normalize(_ path: String) throws(DiariumError) -> String {
        if path.isEmpty { throw refused(path, "the name is empty") }
        if path.utf8.count > maxPathBytes { throw refused(path, "the name is longer than \(maxPathBytes) bytes") }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw refused(path, "the name contains a control character")
        }
        if path.contains("\\") { throw refused(path, "the name contains a backslash") }
        if path.hasPrefix("/") { throw refused(path, "absolute paths are not allowed") }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        if let first = components.first, first.count >= 2, first.dropFirst().first == ":",
           first.first!.isASCII, first.first!.isLetter {
            throw refused(path, "drive-letter paths are not allowed")
        }
        var kept: [Substring] = []
        for component in components where component != "." {
            if component == ".." { throw refused(path, "a '..' component is not allowed") }
            if component.utf8.count > maxComponentBytes {
                throw refused(path, "a name component is longer than \(maxComponentBytes) bytes")
            }
            kept.append(component)
        }
        return kept.joined(separator: "/")
    }

    static func refused(_ path: String, _ reason: String) -> DiariumError {
        .invalid("archive", "archive entry '\(printable(path))' refused: \(reason)")
    }

    /// Names come from untrusted input and end up in messages and logs: show control characters escaped.
    static func printable(_ text: String) -> String {
        let limited = text.count > 300 ? text.prefix(300) + "…" : Substring(text)
        return String(String.UnicodeScalarView(limited.unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
            scalar.value < 0x20 || scalar.value == 0x7F ? Array(scalar.escaped(asASCII: true).unicodeScalars) : [scalar]
        }))
    }
}

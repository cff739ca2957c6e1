#if canImport(Glibc)
import Glibc
#endif

/// Path arithmetic on plain strings, shared by the layers that publish files and sync their directories.
public enum Paths {
    /// The directory holding `path`: "." for a bare name, "/" for an entry of the root.
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Whether something other than a regular file is at `path`: a folder, a device, a pipe, a socket or a symbolic
    /// link (not followed). Output renamed into place there would replace that thing (as root, `/dev/null`) rather
    /// than fill it, so writers refuse such a path.
    public static func holdsOtherThanAFile(_ path: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0 else { return false }
        return status.st_mode & S_IFMT != S_IFREG
    }

    /// A file name cut to whole characters within `maxBytes` of UTF-8: the start of a temp name beside it, which then
    /// stays within NAME_MAX (255 bytes) whenever the name does (a 244-byte name failed on its temp name, after the
    /// whole export).
    public static func tempStem(_ name: String, maxBytes: Int = 200) -> String {
        var stem = ""
        for character in name {
            guard stem.utf8.count + character.utf8.count <= maxBytes else { break }
            stem.append(character)
        }
        return stem
    }

    /// `path` from the root: a relative one joined to the working directory (symbolic links left as they are). For
    /// paths that are written down (a backup's destination in the log) and read later from anywhere.
    public static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/"), let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        var base = String(cString: cwd)
        var rest = Substring(path)
        while rest.hasPrefix("./") { rest = rest.dropFirst(2).drop(while: { $0 == "/" }) }
        if rest == "." { rest = "" }
        if base.hasSuffix("/") { base.removeLast() }
        return rest.isEmpty ? (base.isEmpty ? "/" : base) : base + "/" + rest
    }
}

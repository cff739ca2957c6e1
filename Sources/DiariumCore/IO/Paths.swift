/// Path arithmetic on plain strings, shared by the layers that publish files and sync their directories.
public enum Paths {
    /// The directory holding `path`: "." for a bare name, "/" for an entry of the root.
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

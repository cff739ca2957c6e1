import Foundation

/// Packages no honest exporter writes, made from one that Diarium did: the ERMS edited, METS kept consistent with it,
/// so only the records themselves are wrong (what a careless or hostile sender can produce).
public enum PackageEditing {
    public static let ermsPath = "metadata/descriptive/erms.xml"

    /// Extracts a tar with the system tool into a fresh directory under `dir`; returns the package root.
    public static func extract(_ archive: String, into dir: TempDirectory) throws -> String {
        let target = dir.file("edited-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try runTool("/usr/bin/tar", ["-xf", archive, "-C", target])
        let roots = try FileManager.default.contentsOfDirectory(atPath: target)
        guard roots.count == 1 else { throw ToolFailed(description: "\(archive) holds \(roots.count) root folders") }
        return "\(target)/\(roots[0])"
    }

    /// Rewrites the ERMS of the package directory `root` with `edit`, and its METS entry (SIZE and CHECKSUM) to match.
    public static func editERMS(inPackage root: String, _ edit: (String) throws -> String) throws {
        let path = "\(root)/\(ermsPath)"
        let old = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        let oldDigest = try sha256Hex(ofFile: path)
        let new = try edit(old)
        try Data(new.utf8).write(to: URL(fileURLWithPath: path))
        let newDigest = try sha256Hex(ofFile: path)
        let metsPath = "\(root)/METS.xml"
        let mets = String(decoding: try Data(contentsOf: URL(fileURLWithPath: metsPath)), as: UTF8.self)
        // Only the line that lists the ERMS (the one with its checksum) changes.
        let lines = mets.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.contains(oldDigest) else { return String(line) }
            return line.replacingOccurrences(of: oldDigest, with: newDigest)
                .replacingOccurrences(of: "SIZE=\"\(old.utf8.count)\"", with: "SIZE=\"\(new.utf8.count)\"")
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: metsPath))
    }

    /// A tar of the package directory `root` (its folder as the archive's one root), written beside it.
    public static func tar(_ root: String, as name: String) throws -> String {
        let parent = (root as NSString).deletingLastPathComponent
        let out = "\(parent)/\(name)"
        try runTool("/usr/bin/tar", ["-cf", out, "-C", parent, (root as NSString).lastPathComponent])
        return out
    }
}

extension String {
    /// The first match of the regular expression `pattern` replaced by `template` (`$1` for groups); throws when nothing
    /// matches, so an edit that no longer applies fails its test instead of testing nothing.
    public func replacingFirst(_ pattern: String, with template: String) throws -> String {
        let regex = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        let whole = NSRange(startIndex..., in: self)
        guard let match = regex.firstMatch(in: self, range: whole), let range = Range(match.range, in: self) else {
            throw ToolFailed(description: "no match for /\(pattern)/")
        }
        let replacement = regex.replacementString(for: match, in: self, offset: 0, template: template)
        return replacingCharacters(in: range, with: replacement)
    }
}

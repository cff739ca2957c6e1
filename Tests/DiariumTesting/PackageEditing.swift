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

    public static let premisPath = "metadata/preservation/premis.xml"

    /// Rewrites the ERMS of the package directory `root` with `edit`, and its METS entry (SIZE and CHECKSUM) to match.
    public static func editERMS(inPackage root: String, _ edit: (String) throws -> String) throws {
        try editMetadata(ermsPath, inPackage: root, edit)
    }

    /// Rewrites the metadata document at `relativePath` (listed in the root METS) with `edit`, and its METS entry and
    /// PREMIS object (its fixity) to match.
    public static func editMetadata(_ relativePath: String, inPackage root: String, _ edit: (String) throws -> String) throws {
        let path = "\(root)/\(relativePath)"
        let old = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        let oldDigest = try sha256Hex(ofFile: path)
        let new = try edit(old)
        try Data(new.utf8).write(to: URL(fileURLWithPath: path))
        let newDigest = try sha256Hex(ofFile: path)
        let metsPath = "\(root)/METS.xml"
        let mets = String(decoding: try Data(contentsOf: URL(fileURLWithPath: metsPath)), as: UTF8.self)
        // Only the line that lists the document (the one with its checksum) changes.
        let lines = mets.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.contains(oldDigest) else { return String(line) }
            return line.replacingOccurrences(of: oldDigest, with: newDigest)
                .replacingOccurrences(of: "SIZE=\"\(old.utf8.count)\"", with: "SIZE=\"\(new.utf8.count)\"")
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: metsPath))
        guard relativePath != premisPath else { return }
        try updatePREMIS(relativePath, inPackage: root, from: oldDigest, size: old.utf8.count, to: newDigest, size: new.utf8.count)
    }

    /// Makes the package's PREMIS agree with the file at `relativePath`, changed from one digest and size to another
    /// (its object's fixity and size), and the METS entry of the PREMIS document in turn: edits stay consistent
    /// everywhere a package states a file's fixity. Nothing happens when the package has no PREMIS or it does not
    /// name the file.
    public static func updatePREMIS(_ relativePath: String, inPackage root: String, from oldDigest: String, size oldSize: Int,
                                    to newDigest: String, size newSize: Int) throws {
        guard FileManager.default.fileExists(atPath: "\(root)/\(premisPath)") else { return }
        try editMetadata(premisPath, inPackage: root) { premis in
            // The file's own object (two files with the same bytes have the same digest).
            guard let object = premis.range(of: "<premis:objectIdentifierValue>\(relativePath)</premis:objectIdentifierValue>"),
                  let at = premis.range(of: oldDigest, range: object.upperBound..<premis.endIndex) else { return premis }
            var text = premis.replacingCharacters(in: at, with: newDigest)
            let after = text.index(at.lowerBound, offsetBy: newDigest.count)
            if let size = text.range(of: "<premis:size>\(oldSize)</premis:size>", range: after..<text.endIndex) {
                text.replaceSubrange(size, with: "<premis:size>\(newSize)</premis:size>")
            }
            return text
        }
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

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

    /// Rewrites the metadata document at `relativePath` with `edit`, and every account of it as `rewrite` does.
    public static func editMetadata(_ relativePath: String, inPackage root: String, _ edit: (String) throws -> String) throws {
        let old = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(relativePath)")), as: UTF8.self)
        try rewrite(relativePath, inPackage: root, with: Data(try edit(old).utf8))
    }

    public static let representationFolder = "representations/rep1"
    public static let representationMETS = "\(representationFolder)/METS.xml"
    public static let representationPREMIS = "\(representationFolder)/metadata/preservation/premis.xml"

    /// Replaces the file at `relativePath` with `bytes` and makes every account the package gives of it agree: the
    /// METS entry that lists it (the root's, or for a file of the representation the representation's), the PREMIS
    /// object that names it (the package's or the representation's), and in turn the entries and objects of each
    /// document so changed. Edits stay consistent everywhere a package states a file's fixity.
    public static func rewrite(_ relativePath: String, inPackage root: String, with bytes: Data) throws {
        let path = "\(root)/\(relativePath)"
        let (oldDigest, oldSize) = (try sha256Hex(ofFile: path), try Data(contentsOf: URL(fileURLWithPath: path)).count)
        try bytes.write(to: URL(fileURLWithPath: path))
        try restate(relativePath, inPackage: root, from: oldDigest, size: oldSize)
    }

    static func restate(_ relativePath: String, inPackage root: String, from oldDigest: String, size oldSize: Int) throws {
        let path = "\(root)/\(relativePath)"
        let (newDigest, newSize) = (try sha256Hex(ofFile: path), try Data(contentsOf: URL(fileURLWithPath: path)).count)
        func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: "\(root)/\(relative)") }
        /// Applies `change` to a document of the package; when that changed it, restates the document in turn.
        func edit(_ document: String, _ change: (String) throws -> String) throws {
            let file = "\(root)/\(document)"
            let old = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
            let new = try change(old)
            guard new != old else { return }
            let oldDigest = try sha256Hex(ofFile: file)
            try Data(new.utf8).write(to: URL(fileURLWithPath: file))
            if document != "METS.xml" { try restate(document, inPackage: root, from: oldDigest, size: old.utf8.count) }
        }
        if relativePath != "METS.xml" {
            let inRepresentation = relativePath.hasPrefix(representationFolder + "/") && relativePath != representationMETS
                && exists(representationMETS)
            let href = inRepresentation ? String(relativePath.dropFirst(representationFolder.count + 1)) : relativePath
            try edit(inRepresentation ? representationMETS : "METS.xml") { mets in
                // The mdRef that names it, or the mets:file before the FLocat that does (not an mptr): its CHECKSUM and SIZE.
                var from = mets.startIndex
                var found: Range<String.Index>?
                while found == nil, let named = mets.range(of: "xlink:href=\"\(href)\"", range: from..<mets.endIndex),
                      let tag = mets[..<named.lowerBound].range(of: "<", options: .backwards)?.lowerBound {
                    from = named.upperBound
                    if mets[tag...].hasPrefix("<mets:mdRef ") {
                        found = tag..<named.upperBound
                    } else if mets[tag...].hasPrefix("<mets:FLocat "), let file = mets[..<tag].range(of: "<mets:file ", options: .backwards) {
                        found = file
                    }
                }
                guard let start = found?.lowerBound, let end = mets[start...].range(of: ">")?.upperBound else { return mets }
                let tag = String(mets[start..<end])
                    .replacingOccurrences(of: #"CHECKSUM="[0-9A-Fa-f]+""#, with: "CHECKSUM=\"\(newDigest)\"", options: .regularExpression)
                    .replacingOccurrences(of: #"SIZE="[0-9]+""#, with: "SIZE=\"\(newSize)\"", options: .regularExpression)
                return mets.replacingCharacters(in: start..<end, with: tag)
            }
        }
        for premis in [premisPath, representationPREMIS] where premis != relativePath && exists(premis) {
            try edit(premis) { text in
                // The file's own object (two files with the same bytes have the same digest).
                guard let object = text.range(of: "<premis:objectIdentifierValue>\(relativePath)</premis:objectIdentifierValue>"),
                      let at = text.range(of: oldDigest, range: object.upperBound..<text.endIndex) else { return text }
                var text = text.replacingCharacters(in: at, with: newDigest)
                let after = text.index(at.lowerBound, offsetBy: newDigest.count)
                if let size = text.range(of: "<premis:size>\(oldSize)</premis:size>", range: after..<text.endIndex) {
                    text.replaceSubrange(size, with: "<premis:size>\(newSize)</premis:size>")
                }
                return text
            }
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

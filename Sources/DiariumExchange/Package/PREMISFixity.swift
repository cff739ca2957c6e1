import DiariumCore
import DiariumPackage
import DiariumXML
import Foundation

/// The package's PREMIS preservation metadata held against its files: a PREMIS object naming one of them must give
/// its size and SHA-256 as they are. METS was checked against the bytes already; PREMIS is what an e-archive keeps
/// as the files' fixity for ever, so a package whose two accounts of a file differ is refused rather than archived
/// with a record that would later make a sound file look damaged.
public enum PREMISFixity {
    /// Checks one PREMIS document (`file`, package-relative). An object is held to a file when its identifier is the
    /// file's path: inside the representation whose metadata the document is (`representations/rep1/…`), else in
    /// the package (a representation's document reaches the package's other files only by a path that says so,
    /// `representations/…`). Other identifiers (UUIDs, URNs) name nothing checkable and are left alone, as are
    /// digests by algorithms other than SHA-256. An object may describe a file in several `objectCharacteristics`
    /// (one per composition level): it contradicts the file only when none of them gives its digest (or size).
    /// `contradicted`: the file of each mismatch diagnostic, in order.
    public static func check(_ bytes: [UInt8], file: String, files: [String: ReadPackage.FileDigest])
        -> (diagnostics: [PackageDiagnostic], contradicted: [String]) {
        do { return try check(.bytes(bytes), file: file, files: files) } catch {
            return ([PackageDiagnostic(file: file, message: error.message)], [])   // not reached: only a file cannot be read
        }
    }

    /// `check` of bytes or of a file (read a chunk at a time); past `PackageDiagnostic.maxPerDocument` problems it
    /// reads no further. Throws only when the file cannot be read (`.storage`).
    public static func check(_ input: XMLInput, file: String, files: [String: ReadPackage.FileDigest]) throws(DiariumError)
        -> (diagnostics: [PackageDiagnostic], contradicted: [String]) {
        var diagnostics: [PackageDiagnostic] = []
        var contradicted: [String] = []
        let representation = representationFolder(of: file)
        func resolve(_ identifier: String) -> (String, ReadPackage.FileDigest)? {
            // As written (what Diarium and most tools write), else normalised (`./data/a.pdf`): a path is normalised
            // only when it is not found as it is.
            // A package path first (what Diarium writes in a representation's document too: one lookup, no string
            // built), then a path in the representation's folder.
            if representation == nil || identifier.hasPrefix("representations/"), let found = files[identifier] { return (identifier, found) }
            if let representation, let found = files["\(representation)/\(identifier)"] {
                return ("\(representation)/\(identifier)", found)
            }
            guard let path = try? ArchivePathPolicy.normalize(identifier) else { return nil }
            if let representation {
                if let found = files["\(representation)/\(path)"] { return ("\(representation)/\(path)", found) }
                guard path.hasPrefix("representations/") else { return nil }
            }
            return files[path].map { (path, $0) }
        }
        func child(_ element: MarkupElement, _ name: String) -> MarkupElement? { element.child(name, namespace: Namespace.premis) }
        func text(_ element: MarkupElement) -> String { trimmed(element.text) }
        do throws(DiariumError) {
            try MarkupElement.forEach("object", namespace: Namespace.premis, in: input, options: PackageReader.streamingOptions) { object throws(DiariumError) in
                try PackageDiagnostic.stopReading(file, after: diagnostics.count)
                let identifiers = object.children("objectIdentifier", namespace: Namespace.premis).compactMap { child($0, "objectIdentifierValue") }
                guard let (path, found) = identifiers.lazy.compactMap({ resolve(text($0)) }).first else { return }
                var digests: [MarkupElement] = [], sizes: [MarkupElement] = []
                for characteristics in object.children("objectCharacteristics", namespace: Namespace.premis) {
                    for fixity in characteristics.children("fixity", namespace: Namespace.premis) {
                        guard let algorithm = child(fixity, "messageDigestAlgorithm"), isSHA256(text(algorithm)),
                              let digest = child(fixity, "messageDigest") else { continue }
                        digests.append(digest)
                    }
                    if let size = child(characteristics, "size") { sizes.append(size) }
                }
                if let first = digests.first, !digests.contains(where: { text($0) == found.sha256 || text($0).lowercased() == found.sha256 }) {
                    diagnostics.append(PackageDiagnostic(file: file, line: first.line, element: "premis:messageDigest",
                                                         message: "\(path) has SHA-256 \(found.sha256), PREMIS says \(text(first).lowercased())"))
                    contradicted.append(path)
                }
                if let first = sizes.first, !sizes.contains(where: { Int64(text($0)) == found.size }) {
                    diagnostics.append(PackageDiagnostic(file: file, line: first.line, element: "premis:size",
                                                         message: "\(path) is \(found.size) bytes, PREMIS says \(text(first))"))
                    contradicted.append(path)
                }
            }
        } catch {
            if error.code == .storage { throw error }
            diagnostics.append(PackageDiagnostic(file: file, message: error.message))
        }
        return (diagnostics, contradicted)
    }

    /// "SHA-256", "SHA256", "sha-256": the names tools give it.
    static func isSHA256(_ name: String) -> Bool {
        name == "SHA-256" || name.uppercased().replacingOccurrences(of: "-", with: "") == "SHA256"
    }

    /// Without surrounding whitespace; Foundation's trimming (slow on Linux) only when there is some.
    static func trimmed(_ text: String) -> String {
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = text.utf8.first, let last = text.utf8.last, blank(first) || blank(last) else { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `representations/rep1` for `representations/rep1/metadata/preservation/premis.xml`; nil at the package's root.
    static func representationFolder(of file: String) -> String? {
        let parts = file.split(separator: "/")
        guard parts.count > 2, parts[0] == "representations" else { return nil }
        return "representations/\(parts[1])"
    }
}

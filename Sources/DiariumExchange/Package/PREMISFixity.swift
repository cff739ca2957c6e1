import DiariumCore
import DiariumXML
import Foundation

/// The package's PREMIS preservation metadata held against its files: a PREMIS object naming one of them must give
/// its size and SHA-256 as they are. METS was checked against the bytes already; PREMIS is what an e-archive keeps
/// as the files' fixity for ever, so a package whose two accounts of a file differ is refused rather than archived
/// with a record that would later make a sound file look damaged.
enum PREMISFixity {
    /// Checks one PREMIS document (`file`, package-relative). An object is held to a file when its identifier is the
    /// file's package-relative path, or its path inside the representation whose metadata the document is
    /// (`representations/rep1/…`); other identifiers (UUIDs, URNs) name nothing checkable and are left alone, as are
    /// digests by algorithms other than SHA-256.
    static func check(_ bytes: [UInt8], file: String, files: [String: ReadPackage.FileDigest]) -> [PackageDiagnostic] {
        var diagnostics: [PackageDiagnostic] = []
        let representation = representationFolder(of: file)
        func resolve(_ identifier: String) -> (String, ReadPackage.FileDigest)? {
            if let found = files[identifier] { return (identifier, found) }
            if let representation, let found = files["\(representation)/\(identifier)"] { return ("\(representation)/\(identifier)", found) }
            return nil
        }
        do {
            try MarkupElement.forEach("object", namespace: Namespace.premis, in: bytes) { object in
                let identifiers = object.children("objectIdentifier", namespace: Namespace.premis)
                    .compactMap { $0.child("objectIdentifierValue", namespace: Namespace.premis)?.text.trimmingCharacters(in: .whitespaces) }
                guard let (path, found) = identifiers.lazy.compactMap(resolve).first,
                      let characteristics = object.child("objectCharacteristics", namespace: Namespace.premis) else { return }
                for fixity in characteristics.children("fixity", namespace: Namespace.premis) {
                    guard let algorithm = fixity.child("messageDigestAlgorithm", namespace: Namespace.premis)?.text,
                          isSHA256(algorithm),
                          let digest = fixity.child("messageDigest", namespace: Namespace.premis) else { continue }
                    let given = digest.text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                    if given != found.sha256 {
                        diagnostics.append(PackageDiagnostic(file: file, line: digest.line, element: "premis:messageDigest",
                                                             message: "\(path) has SHA-256 \(found.sha256), PREMIS says \(given)"))
                    }
                }
                if let size = characteristics.child("size", namespace: Namespace.premis) {
                    let text = size.text.trimmingCharacters(in: .whitespacesAndNewlines)
                    if Int64(text) != found.size {
                        diagnostics.append(PackageDiagnostic(file: file, line: size.line, element: "premis:size",
                                                             message: "\(path) is \(found.size) bytes, PREMIS says \(text)"))
                    }
                }
            }
        } catch {
            diagnostics.append(PackageDiagnostic(file: file, message: error.message))
        }
        return diagnostics
    }

    /// "SHA-256", "SHA256", "sha-256": the names tools give it.
    static func isSHA256(_ name: String) -> Bool {
        name.trimmingCharacters(in: .whitespacesAndNewlines).uppercased().replacingOccurrences(of: "-", with: "") == "SHA256"
    }

    /// `representations/rep1` for `representations/rep1/metadata/preservation/premis.xml`; nil at the package's root.
    static func representationFolder(of file: String) -> String? {
        let parts = file.split(separator: "/")
        guard parts.count > 2, parts[0] == "representations" else { return nil }
        return "representations/\(parts[1])"
    }
}

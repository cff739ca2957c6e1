import DiariumCore
import DiariumExchange
import DiariumXML
import Foundation

/// The cost an import pays to hold PREMIS fixity to its files: a PREMIS document with an object and an event per file
/// (an export writes the objects into the representation's PREMIS and the events into the package's; one document
/// with both is the two read in one), checked as the representation's against the files it names, beside the SHA-256 of the same bytes (which the import
/// computes anyway, for METS) and the whole-tree parse the ERMS reader uses. Medians of `runs`.
func premisBench(files count: Int, runs: Int) throws {
    let created = Date(timeIntervalSince1970: 1_780_000_000)
    var files: [PackageFile] = []
    var digests: [String: ReadPackage.FileDigest] = [:]
    for i in 0..<count {
        let path = "representations/rep1/data/KS-2026-\(i / 100)-\(i % 100).txt"
        let sha256 = SHA256Hex.of(Array("file \(i)".utf8))
        let size = Int64(4096 + i % 1000)
        files.append(PackageFile(path: path, use: .representation, size: size, sha256: sha256, mediaType: "text/plain", created: created))
        digests[path] = ReadPackage.FileDigest(sha256: sha256, size: size)
    }
    let events = files.enumerated().map { i, file in
        ProvenanceEvent(identifier: "audit-\(i + 1)", type: "ingestion", at: created, agent: "anna",
                        detail: "document.register \(file.path)", files: [file.path])
    }
    let bytes = PREMIS.write(files: files, originalNames: [:], events: events,
                             creator: PackageCreator(archivalCreator: try Organisation(name: "Kommunen"), person: "arkivarie"))
    let sha = median(runs: runs) { _ = SHA256Hex.of(bytes) }
    // What every parse pays first, counting each start tag's attributes (libxml2 2.9's duplicate check is quadratic).
    let screen = median(runs: runs) {
        var screen = StartTagScreen(limit: .max)
        _ = bytes.withUnsafeBufferPointer { screen.scan($0) }
    }
    let tree = try median(runs: runs) { _ = try MarkupElement.parse(bytes, options: XMLParseOptions(maxNodes: .max)) }
    var objects = 0
    let stream = try median(runs: runs) {
        try MarkupElement.forEach("object", namespace: Namespace.premis, in: bytes) { _ in objects += 1 }
    }
    var problems = 0
    // Content files' objects are in the representation's PREMIS, and resolved from there.
    let check = median(runs: runs) { problems = PREMISFixity.check(bytes, file: METS.representationPreservationPath, files: digests).diagnostics.count }
    guard problems == 0 else { fail("the check found \(problems) problems in a consistent PREMIS") }
    let mb = Double(bytes.count) / 1_048_576
    print(String(format: "PREMIS of %d files, %.1f MiB, %d runs (medians)", count, mb, runs))
    print(String(format: "  SHA-256 of the bytes      %8.1f ms  %7.1f MiB/s", sha * 1000, mb / sha))
    print(String(format: "  attribute screen alone    %8.1f ms  %7.1f MiB/s  %.2f× SHA-256", screen * 1000, mb / screen, screen / sha))
    print(String(format: "  whole-tree parse          %8.1f ms  %7.1f MiB/s  %.2f× SHA-256", tree * 1000, mb / tree, tree / sha))
    print(String(format: "  objects streamed, alone   %8.1f ms  %7.1f MiB/s  %.2f× SHA-256", stream * 1000, mb / stream, stream / sha))
    print(String(format: "  fixity check (streamed)   %8.1f ms  %7.1f MiB/s  %.2f× SHA-256", check * 1000, mb / check, check / sha))
}

import DiariumCore
import DiariumPackage
import DiariumXML
import Foundation

/// What a package's root METS says: its identity, its files (with size and checksum) and its metadata references.
public struct METSManifest: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Normalised package-relative path.
        public var path: String
        /// `fileGrp/@USE` for files; `dmdSec`/`digiprovMD`/… for metadata references.
        public var use: String
        public var size: Int64?
        public var sha256: String?
        public var mediaType: String?
        /// `MDTYPE` (and `OTHERMDTYPE`) of a metadata reference, e.g. "OTHER/ERMS", "PREMIS", "DC".
        public var metadataType: String?
        public var line: Int
        /// The METS that lists it: the root's, or a representation's (`representations/rep1/METS.xml`).
        public var listedIn = METSManifest.rootFile
        /// Listed by the package's root METS, not a representation's: what describes the package as a whole.
        public var isListedByRoot: Bool { listedIn == METSManifest.rootFile }
    }

    /// The root METS's package-relative path.
    public static let rootFile = "METS.xml"

    public var objectID: String
    public var label: String?
    public var profile: String?
    public var contentInformationType: String?
    public var packageType: String?
    public var files: [Entry]
    public var metadata: [Entry]
    /// The agents of the root METS's `metsHdr`, as the package names them (the first `maxAgents`).
    public var agents: [PackageAgent] = []

    /// More agents than any package needs: the rest are not read.
    public static let maxAgents = 32

    public var all: [Entry] { metadata + files }

    /// The header's agents, their text folded into lines (another tool's METS may wrap or pad them); one without a
    /// name is left out.
    static func agents(of header: MarkupElement) -> [PackageAgent] {
        header.children("agent", namespace: Namespace.mets).lazy.compactMap { agent -> PackageAgent? in
            func line(_ text: String?, _ maxLength: Int) -> String? { text.flatMap { TextRules.foldedLine($0, maxLength: maxLength)?.text } }
            guard let name = line(agent.child("name", namespace: Namespace.mets)?.text, 200) else { return nil }
            let role = agent.attribute("ROLE") == "OTHER" ? agent.attribute("OTHERROLE") : agent.attribute("ROLE")
            let type = agent.attribute("TYPE") == "OTHER" ? agent.attribute("OTHERTYPE") : agent.attribute("TYPE")
            let code = agent.children("note", namespace: Namespace.mets)
                .first { $0.attribute("NOTETYPE", namespace: Namespace.csip) == "IDENTIFICATIONCODE" }?.text
            return PackageAgent(role: line(role, 40) ?? "OTHER", type: line(type, 40) ?? "OTHER", name: name, code: line(code, 100))
        }.prefix(maxAgents).map { $0 }
    }

    /// Parses and checks a root METS. Structural problems are errors (the package cannot be trusted); missing
    /// optional CSIP attributes are warnings.
    public static func read(_ bytes: [UInt8], file: String = "METS.xml") -> (manifest: METSManifest?, diagnostics: [PackageDiagnostic]) {
        do { return try read(.bytes(bytes), file: file) } catch {
            return (nil, [PackageDiagnostic(file: file, message: error.message)])   // not reached: only a file cannot be read
        }
    }

    /// `read` of bytes or of a file, streamed a `file` or `mdRef` at a time: a METS listing a hundred thousand files
    /// costs their entries, not a tree of the document. More than `maxEntries` entries (files a package could not
    /// hold), or than `PackageDiagnostic.maxErrors` errors, stop the reading there. Throws only when the file
    /// cannot be read (`.storage`).
    public static func read(_ input: XMLInput, file: String = "METS.xml", maxEntries: Int = ArchiveLimits().maxEntries) throws(DiariumError)
        -> (manifest: METSManifest?, diagnostics: [PackageDiagnostic]) {
        var diagnostics: [PackageDiagnostic] = []
        func fail(_ element: MarkupElement?, _ message: String) {
            diagnostics.append(PackageDiagnostic(file: file, line: element?.line ?? 0, element: element.map { "mets:" + $0.name.localName },
                                                 message: message))
        }
        func warning(_ element: MarkupElement, _ message: String) {
            diagnostics.append(PackageDiagnostic(.warning, file: file, line: element.line, element: "mets:" + element.name.localName,
                                                 message: message))
        }
        func entry(_ element: MarkupElement, href: String?, use: String, metadataType: String?) -> Entry? {
            guard let href, !href.isEmpty else {
                fail(element, "malformed METS: xlink:href is missing")
                return nil
            }
            if href.contains("://") || href.hasPrefix("file:") {
                fail(element, "malformed METS: '\(href)' is not a path inside the package")
                return nil
            }
            let decoded = href.removingPercentEncoding ?? href
            let path: String
            do { path = try ArchivePathPolicy.normalize(decoded) } catch {
                fail(element, "malformed METS: unsafe location '\(href)': \(error.message)")
                return nil
            }
            var size: Int64?
            if let text = element.attribute("SIZE") {
                size = Int64(text)
                if size == nil || size! < 0 { fail(element, "malformed METS: SIZE '\(text)' is not a byte count") }
            } else {
                fail(element, "SIZE is missing for \(path)")
            }
            var sha256: String?
            if let checksum = element.attribute("CHECKSUM") {
                let type = element.attribute("CHECKSUMTYPE") ?? ""
                if type != "SHA-256" {
                    fail(element, "CHECKSUMTYPE '\(type)' for \(path): only SHA-256 is accepted")
                } else {
                    sha256 = checksum.lowercased()
                }
            } else {
                fail(element, "CHECKSUM is missing for \(path)")
            }
            return Entry(path: path, use: use, size: size, sha256: sha256, mediaType: element.attribute("MIMETYPE"),
                         metadataType: metadataType, line: element.line)
        }

        let mets = { (name: String) in MarkupName(name, namespaceURI: Namespace.mets) }
        var header: MarkupElement?
        var metadata: [Entry] = []
        var files: [Entry] = []
        // xs:ID values are unique in a document: a structMap's FILEID naming two files points at neither for sure.
        var ids: Set<String> = []
        func checkID(_ element: MarkupElement) {
            if let id = element.attribute("ID"), !ids.insert(id).inserted { fail(element, "malformed METS: ID '\(id)' is used twice") }
        }
        let streamed: MarkupElement.StreamedRoot
        do throws(DiariumError) {
            streamed = try MarkupElement.stream(input, names: [mets("metsHdr"), mets("mdRef"), mets("file")],
                                                options: PackageReader.streamingOptions) { element, ancestors throws(DiariumError) in
                if files.count + metadata.count > maxEntries {
                    throw DiariumError.invalid("METS", "malformed METS: it lists more than \(maxEntries) files, more than a package may hold")
                }
                try PackageDiagnostic.stopReading(file, after: diagnostics.count)
                // Only where METS puts them: the root's header; a reference in a dmdSec, or in an amdSec's techMD,
                // rightsMD, sourceMD or digiprovMD; a file of a fileGrp in the root's fileSec.
                guard ancestors.first?.name == mets("mets") else { return }
                switch element.name.localName {
                case "metsHdr":
                    if ancestors.count == 1 && header == nil { header = element }
                case "mdRef":
                    let sections = ancestors.dropFirst().map(\.name.localName)
                    guard sections == ["dmdSec"] || sections.count == 2 && sections[0] == "amdSec"
                            && ["techMD", "rightsMD", "sourceMD", "digiprovMD"].contains(sections[1]) else { return }
                    checkID(element)
                    let type = element.attribute("MDTYPE").map { $0 == "OTHER" ? "OTHER/\(element.attribute("OTHERMDTYPE") ?? "")" : $0 }
                    if let item = entry(element, href: element.attribute("href", namespace: Namespace.xlink), use: sections.last!,
                                        metadataType: type) { metadata.append(item) }
                default:
                    guard ancestors.count >= 3, ancestors[1].name == mets("fileSec"), let group = ancestors.last,
                          group.name == mets("fileGrp") else { return }
                    checkID(element)
                    guard let location = element.child("FLocat", namespace: Namespace.mets) else {
                        fail(element, "malformed METS: file \(element.attribute("ID") ?? "") has no FLocat")
                        return
                    }
                    if let item = entry(element, href: location.attribute("href", namespace: Namespace.xlink), use: group.attribute("USE") ?? "",
                                        metadataType: nil) { files.append(item) }
                }
            }
        } catch {
            if error.code == .storage { throw error }
            return (nil, diagnostics + [PackageDiagnostic(file: file, message: error.message)])
        }
        let root = streamed.element
        guard root.name == mets("mets") else {
            return (nil, [PackageDiagnostic(file: file, line: root.line, element: root.name.localName,
                                            message: "malformed METS: the root element must be <mets> in \(Namespace.mets)")])
        }
        let objectID = root.attribute("OBJID") ?? ""
        if objectID.isEmpty {
            fail(root, "malformed METS: OBJID is missing")
        } else {
            // It names the package in the audit log and in package_imports (whose CHECK refuses a blank one).
            do { try TextRules.checkLine(objectID, field: "OBJID") } catch { fail(root, "malformed METS: \(error.message)") }
        }
        if header == nil { warning(root, "metsHdr is missing (CSIP117)") }
        if !streamed.childNames.contains(mets("fileSec")) { fail(root, "malformed METS: fileSec is missing") }
        if !streamed.childNames.contains(mets("structMap")) { fail(root, "malformed METS: structMap is missing") }
        var seen: Set<String> = []
        for item in metadata + files where !seen.insert(item.path).inserted {
            diagnostics.append(PackageDiagnostic(file: file, line: item.line, message: "\(item.path) is listed twice"))
        }
        let manifest = METSManifest(objectID: objectID, label: root.attribute("LABEL"), profile: root.attribute("PROFILE"),
                                    contentInformationType: root.attribute("CONTENTINFORMATIONTYPE", namespace: Namespace.csip),
                                    packageType: header?.attribute("OAISPACKAGETYPE", namespace: Namespace.csip),
                                    files: files, metadata: metadata, agents: header.map(Self.agents) ?? [])
        return (diagnostics.contains { $0.severity == .error } ? nil : manifest, diagnostics)
    }
}

import DiariumCore
import DiariumExchange
import DiariumStorage
import DiariumXML
import Foundation

extension RecordsService {
    /// A package from another tool: each representation file becomes a document in `caseNumber`; Dublin Core
    /// (the usual E-ARK descriptive metadata) maps to title, date and creator where it can; every metadata file
    /// is also registered as an attached original (record type `other`), so nothing the package says is lost.
    func importForeign(_ package: ReadPackage, into caseNumber: CaseNumber, isDiarium: Bool, blob: (String) -> StagedBlob?,
                       options: ImportOptions, actor: String, displayName: String,
                       progress: (ArchiveProgress) -> Void) throws(DiariumError) -> ImportReport {
        var mapped: [String] = []
        var kept: [String] = []
        var diagnostics = package.diagnostics

        // Every file becomes a public document here, and the metadata files are attached as they are: a record the
        // package restricts (and its restricted title and parties in the metadata) would be published. Refused.
        // Every XML file counts, not only those under metadata/: a METS may point its descriptive metadata anywhere,
        // and a representation file may itself be an ERMS.
        var restricted: [String] = []
        try forEachXMLFileToRegister(package, blob: blob, displayName: displayName) { path, bytes, declared throws(DiariumError) in
            let root: MarkupElement
            do throws(DiariumError) {
                root = try MarkupElement.parse(bytes)
            } catch {
                // A file that only looks like XML (HTML, say) is content like any other.
                guard declared else { return }
                // Unchecked is not unrestricted: its bytes would still be attached as a public original.
                throw DiariumError.invalid("into-case", "\(displayName): \(path) cannot be checked for restricted records "
                    + "(\(error.message)); imported into a case it would be attached without restriction")
            }
            restricted += ERMS.restrictedRecords(root).map { "\($0.name) (\(path):\($0.line))" }
        }
        if !restricted.isEmpty {
            throw DiariumError.invalid("into-case", "\(displayName) holds restricted records: "
                + restricted.prefix(20).joined(separator: ", ") + (restricted.count > 20 ? ", …" : "")
                + ". Imported into a case, their files and metadata would be registered without restriction. "
                + (isDiarium ? "Import the package into a series instead (--into-series or intoSeries), which keeps every record's restriction."
                             : "Register the restricted files one by one with --restrict and --legal, and the rest without them."))
        }

        // What the descriptive metadata says about the package as a whole.
        var title: String?
        var date: CalendarDate?
        var creator: String?
        // ERMS names each record's files: those take their record's metadata instead (ForeignERMS).
        var erms = ForeignERMS()
        var hasERMS = false
        for entry in package.manifest.metadata where entry.use == "dmdSec" && entry.isListedByRoot {
            // Checked for restrictions above, so within the size that reads into memory.
            guard let document = package.documents[entry.path],
                  let bytes = try? document.bytes(upTo: PackageReader.Options().maxDocumentBytes, path: entry.path) else { continue }
            guard let root = try? MarkupElement.parse(bytes) else {
                diagnostics.append(PackageDiagnostic(.warning, file: entry.path, message: "not well-formed XML; kept as an original only"))
                continue
            }
            if root.name.localName == "erms", root.name.namespaceURI == Namespace.erms {
                erms.read(root, file: entry.path)
                hasERMS = true
                continue
            }
            func first(_ name: String) -> MarkupElement? {
                root.name.localName == name ? root : root.descendants(name).first { $0.trimmedText != nil }
            }
            // Another tool's values may wrap over lines or run long: folded to one line, cut to what a title (with
            // " – " and a file name of up to 255 characters after it) and a sender may hold, and said so.
            func note(_ element: MarkupElement, _ field: String, shortened: Bool) {
                mapped.append("\(entry.path):\(element.line) <\(element.name.localName)> → \(field)" + (shortened ? " (shortened)" : ""))
            }
            if title == nil, let element = first("title"), let text = element.trimmedText,
               let folded = TextRules.foldedLine(text, maxLength: 1000 - 3 - 255) {
                title = folded.text
                note(element, "title", shortened: folded.shortened)
            }
            if date == nil, let element = first("date") ?? first("created"), let text = element.trimmedText {
                if let parsed = try? CalendarDate(parsing: String(text.prefix(10)), field: "date") {
                    date = parsed
                    note(element, "documentDate", shortened: false)
                }
            }
            if creator == nil, let element = first("creator") ?? first("publisher"), let text = element.trimmedText,
               let folded = TextRules.foldedLine(text, maxLength: 500) {
                creator = folded.text
                note(element, "sender", shortened: folded.shortened)
            }
        }

        var recordsUsed = Set<Int>()
        diagnostics += erms.unmapped

        var documents: [NewDocument] = []
        for file in package.manifest.files where file.use.hasPrefix("Representations") {
            guard let staged = blob(file.path) else { continue }
            let name = file.path.split(separator: "/").last.map(String.init) ?? file.path
            let metadata: DocumentMetadata
            if let record = erms.byPath[ForeignERMS.normalised(file.path)] {
                if recordsUsed.insert(record.id).inserted { mapped += record.mapped }
                metadata = DocumentMetadata(title: record.files > 1 ? "\(record.title) – \(name)" : record.title, recordType: record.recordType,
                                            direction: record.direction, documentDate: record.documentDate, sender: record.sender,
                                            recipient: record.recipient)
            } else {
                if hasERMS {
                    diagnostics.append(PackageDiagnostic(.warning, file: file.path,
                        message: "no ERMS record names this file (appendix/@path): registered under its file name"))
                }
                metadata = DocumentMetadata(title: title.map { "\($0) – \(name)" } ?? name, recordType: .other, direction: .incoming,
                                            documentDate: date, sender: creator)
            }
            var document = NewDocument(file: staged.stagedPath, metadata: metadata, mediaType: Self.plainMediaType(file.mediaType),
                                       originalName: name)
            document.mediaType = document.mediaType ?? MediaTypes.guess(forFileName: name)
            documents.append(document)
        }
        guard !documents.isEmpty else {
            throw DiariumError.invalid("package", "\(displayName) has no representation files (fileGrp USE=\"Representations…\") to import")
        }
        // Metadata, files outside the representations, and a representation's own METS are kept as originals.
        for entry in package.manifest.metadata + package.manifest.files.filter({ !$0.use.hasPrefix("Representations") || package.documents[$0.path] != nil }) {
            let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
            let metadata = DocumentMetadata(title: "Originalmetadata: \(entry.path)", recordType: .other, direction: .incoming)
            if let document = package.documents[entry.path] {
                documents.append(try Self.original(document, path: entry.path, name: name, metadata: metadata))
            } else if let staged = blob(entry.path) {
                documents.append(NewDocument(file: staged.stagedPath, metadata: metadata,
                                             mediaType: Self.plainMediaType(entry.mediaType) ?? MediaTypes.guess(forFileName: name),
                                             originalName: name))
            } else {
                continue
            }
            kept.append(entry.path)
        }
        if let root = package.documents["METS.xml"] {
            documents.append(try Self.original(root, path: "METS.xml", name: "METS.xml",
                                               metadata: DocumentMetadata(title: "Originalmetadata: METS.xml", recordType: .other, direction: .incoming)))
            kept.append("METS.xml")
        }

        var report = ImportReport(
            packageID: package.manifest.objectID, dryRun: options.dryRun, kind: "foreign",
            cases: [ImportReport.CaseMapping(original: package.manifest.objectID, assigned: caseNumber.description)],
            documents: documents.count, versions: documents.count, files: package.files.count,
            contentBytes: package.manifest.files.filter { $0.use.hasPrefix("Representations") && package.documents[$0.path] == nil }
                .reduce(0) { $0 + (package.files[$1.path]?.size ?? 0) }, diagnostics: diagnostics,
            mapped: mapped, keptAsOriginal: kept, auditSequence: nil, agents: package.manifest.agents)
        report.diagnostics += try store.catalog.read { access in
            _ = try Self.requireOpenCase(caseNumber, access)
            return try Self.importedBefore(package.manifest.objectID, access: access)
        }
        if options.dryRun { return report }
        progress(ArchiveProgress(phase: "registering", done: 0, total: documents.count))
        // One batch, and the package.import event in its transaction: the documents and the record of where they
        // came from commit together or not at all.
        let source = displayName.split(separator: "/").last.map(String.init) ?? displayName
        let packageID = package.manifest.objectID, agents = package.manifest.agents
        let (clock, mappedCount, keptCount) = (self.clock, mapped.count, kept.count)
        let sequence = ResultBox<Int64>()
        _ = try register(documents, in: caseNumber, actor: actor, batchSize: Int.max, committed: { _ in }, textIssue: { _, _ in },
                         inLastTransaction: { access, records in
            var details = AuditDetails()
            details["source"] = .string(source)
            details["case"] = .string(caseNumber.description)
            details["documents"] = .strings(records.map(\.number.description))
            details["mapped"] = .int(Int64(mappedCount))
            details["originals"] = .int(Int64(keptCount))
            Self.noteArchivalCreator(agents, in: &details)
            let event = try access.appendAudit(at: clock.now(), actor: actor, action: .packageImport, object: packageID,
                                               version: nil, details: details.json)
            try access.insertPackageImport(packageID: packageID, source: source, at: event.at, actor: actor,
                                           cases: 0, documents: records.count, auditSequence: event.sequence)
            sequence.set(event.sequence)
        })
        report.auditSequence = sequence.get()
        return report
    }

    /// A metadata document registered as an attached original: from memory, or copied from the reader's temp file.
    static func original(_ document: PackageDocument, path: String, name: String, metadata: DocumentMetadata) throws(DiariumError) -> NewDocument {
        if let file = document.filePath {
            return NewDocument(file: file, metadata: metadata, mediaType: "application/xml", originalName: name)
        }
        let bytes = try document.bytes(upTo: Int.max, path: path)
        return NewDocument(data: Data(bytes), originalName: name, metadata: metadata, mediaType: "application/xml")
    }

    static func plainMediaType(_ value: String?) -> String? {
        guard let value, (try? MediaTypes.check(value)) != nil else { return nil }
        return value
    }
}

extension RecordsService {
    /// Hands each XML file a foreign import would register to `body`, one at a time, with whether it is declared XML
    /// (named `*.xml` or typed as XML in the METS) or only starts like XML (its first character, after a byte order
    /// mark and white space, is `<`: a restricted ERMS may be named anything). Files held in memory by the package
    /// reader, and staged files read here up to the reader's size for a metadata document; a larger declared one
    /// cannot be checked, and is refused rather than attached unchecked.
    func forEachXMLFileToRegister(_ package: ReadPackage, blob: (String) -> StagedBlob?, displayName: String,
                                  _ body: (String, [UInt8], Bool) throws(DiariumError) -> Void) throws(DiariumError) {
        let limit = PackageReader.Options().maxDocumentBytes
        var seen: Set<String> = ["METS.xml"]
        // The root METS is attached too, and may carry ERMS inline (mdWrap).
        func tooLarge(_ path: String, _ size: Int64) -> DiariumError {
            DiariumError.invalid("into-case", "\(displayName): \(path) (\(size) bytes) is too large to be checked for "
                + "restricted records (at most \(limit)); imported into a case it would be attached without restriction")
        }
        if let mets = package.documents["METS.xml"] {
            guard mets.size <= Int64(limit) else { throw tooLarge("METS.xml", mets.size) }
            try body("METS.xml", try mets.bytes(upTo: limit, path: "METS.xml"), true)
        }
        for entry in (package.manifest.metadata + package.manifest.files).sorted(by: { $0.path < $1.path }) where seen.insert(entry.path).inserted {
            let type = (entry.mediaType ?? "").lowercased()
            let declared = entry.path.lowercased().hasSuffix(".xml") || type.contains("/xml") || type.contains("+xml")
            if let document = package.documents[entry.path] {
                // Held by the reader: under metadata/ and named *.xml, or a bag's tag file (declared or not by its name).
                guard document.size <= Int64(limit) else {
                    if declared { throw tooLarge(entry.path, document.size) }
                    continue
                }
                let bytes = try document.bytes(upTo: limit, path: entry.path)
                try body(entry.path, bytes, declared || Self.startsLikeXML(bytes[...]))
                continue
            }
            guard let staged = blob(entry.path) else { continue }
            guard let handle = FileHandle(forReadingAtPath: staged.stagedPath) else {
                throw DiariumError(.storage, "\(displayName): the staged copy of \(entry.path) cannot be read back")
            }
            defer { try? handle.close() }
            let head = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
            guard declared || Self.startsLikeXML(head[...]) else { continue }
            guard staged.size <= Int64(limit) else {
                guard declared else { continue }
                throw tooLarge(entry.path, staged.size)
            }
            let rest = [UInt8]((try? handle.readToEnd()) ?? Data())
            try body(entry.path, head + rest, declared)
        }
    }

    static func startsLikeXML(_ bytes: ArraySlice<UInt8>) -> Bool {
        var rest = bytes
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        return rest.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "<")
    }
}

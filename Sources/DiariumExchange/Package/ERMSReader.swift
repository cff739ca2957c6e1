import DiariumCore
import DiariumXML
import Foundation

extension ERMS {
    /// Parses an ERMS document into a value tree (no libxml2 tree beside it), or a diagnostic naming the file.
    public static func parse(_ bytes: [UInt8], file: String) -> (root: MarkupElement?, diagnostics: [PackageDiagnostic]) {
        do { return (try MarkupElement.parse(bytes), []) } catch {
            return (nil, [PackageDiagnostic(file: file, message: error.message)])
        }
    }

    /// Reads an ERMS document written by Diarium (with the extension elements) into records. Every problem is a
    /// diagnostic naming the file, line and element; the result is nil when any error was found.
    public static func read(_ bytes: [UInt8], file: String) -> (transfer: RecordsTransfer?, diagnostics: [PackageDiagnostic]) {
        let (root, problems) = parse(bytes, file: file)
        guard let root else { return (nil, problems) }
        return read(root, file: file)
    }

    /// Reads a parsed ERMS document written by Diarium; see `read(_:file:)`.
    public static func read(_ root: MarkupElement, file: String) -> (transfer: RecordsTransfer?, diagnostics: [PackageDiagnostic]) {
        var diagnostics: [PackageDiagnostic] = []
        guard root.name.localName == "erms", root.name.namespaceURI == Namespace.erms else {
            return (nil, [PackageDiagnostic(file: file, line: root.line, element: root.name.localName,
                                            message: "expected an ERMS document (<erms> in \(Namespace.erms))")])
        }
        var reader = Reader(file: file)
        let transfer = reader.transfer(root)
        diagnostics += reader.diagnostics
        return (diagnostics.contains { $0.severity == .error } ? nil : transfer, diagnostics)
    }

    /// Whether a parsed ERMS document was written by Diarium (its cases carry `dx:case`), as opposed to another
    /// ERMS tool's, whose records import only as a foreign package.
    public static func isDiariumDocument(_ root: MarkupElement) -> Bool {
        root.name.localName == "erms" && root.name.namespaceURI == Namespace.erms
            && !root.descendants("case", namespace: extensionNamespace).isEmpty
    }

    struct Reader {
        let file: String
        var diagnostics: [PackageDiagnostic] = []

        mutating func error(_ element: MarkupElement, _ message: String) {
            diagnostics.append(PackageDiagnostic(file: file, line: element.line, element: element.name.localName, message: message))
        }

        func ext(_ element: MarkupElement, _ name: String) -> MarkupElement? {
            element.child("additionalInformation", namespace: Namespace.erms)?
                .children("additionalXMLData", namespace: Namespace.erms)
                .lazy.compactMap { $0.child(name, namespace: extensionNamespace) }.first
        }

        mutating func required(_ element: MarkupElement, _ attribute: String) -> String? {
            guard let value = element.attribute(attribute), !value.isEmpty else {
                error(element, "attribute \(attribute) is missing")
                return nil
            }
            return value
        }

        mutating func time(_ element: MarkupElement, _ attribute: String, optional: Bool = false) -> Date? {
            guard let text = element.attribute(attribute) else {
                if !optional { error(element, "attribute \(attribute) is missing") }
                return nil
            }
            guard let date = XMLTime.parse(text) else {
                error(element, "attribute \(attribute) is not a date and time: '\(text)'")
                return nil
            }
            return date
        }

        mutating func parse<T>(_ element: MarkupElement, _ body: () throws(DiariumError) -> T) -> T? {
            do { return try body() } catch {
                self.error(element, error.message)
                return nil
            }
        }

        mutating func transfer(_ root: MarkupElement) -> RecordsTransfer {
            var series: [SeriesCode: Series] = [:]
            var cases: [TransferCase] = []
            let aggregations = root.child("aggregations", namespace: Namespace.erms)?.descendants("aggregation", namespace: Namespace.erms) ?? []
            if aggregations.isEmpty {
                error(root, "no case (aggregation of type caseFile) in the document")
            }
            for aggregation in aggregations where aggregation.attribute("aggregationType") == "caseFile" {
                guard let info = ext(aggregation, "case") else {
                    error(aggregation, "case has no Diarium description (dx:case in additionalXMLData): not a Diarium package")
                    continue
                }
                guard let numberText = required(info, "number"),
                      let number = parse(info, { () throws(DiariumError) in try CaseNumber(parsing: numberText) }),
                      let title = required(info, "title"), let openedAt = time(info, "openedAt"),
                      let openedBy = required(info, "openedBy")
                else { continue }
                let status = info.attribute("status").flatMap(CaseStatus.init(rawValue:))
                if status == nil { error(info, "attribute status must be open or closed") }
                let closedAt = time(info, "closedAt", optional: true)
                if series[number.series] == nil {
                    series[number.series] = Series(code: number.series, name: info.attribute("seriesName") ?? number.series.rawValue,
                                                   createdAt: time(info, "seriesCreatedAt", optional: true) ?? openedAt)
                }
                var documents: [TransferDocument] = []
                for record in aggregation.children("record", namespace: Namespace.erms) {
                    if let document = self.document(record, in: number) { documents.append(document) }
                }
                let record = CaseRecord(
                    number: number, title: title, publicTitle: info.attribute("publicTitle"),
                    classification: info.attribute("classification"), status: status ?? .open, department: info.attribute("department"),
                    officer: info.attribute("officer"), openedAt: openedAt, closedAt: closedAt, documentCount: documents.count)
                let retention = info.children("retention", namespace: extensionNamespace).compactMap { retentionRule($0, series: number.series) }
                cases.append(TransferCase(record: record, openedBy: openedBy, externalReference: info.attribute("externalReference"),
                                          documents: documents, retention: retention))
            }
            return RecordsTransfer(series: series.values.sorted { $0.code < $1.code }, cases: cases)
        }

        mutating func retentionRule(_ element: MarkupElement, series: SeriesCode) -> RetentionRule? {
            let type = element.attribute("recordType")
            let recordType = type.flatMap(RecordType.init(rawValue:))
            if let type, recordType == nil {
                error(element, "attribute recordType: unknown record type '\(type)'")
                return nil
            }
            guard let actionText = required(element, "action") else { return nil }
            guard let action = RetentionRule.Action(rawValue: actionText) else {
                error(element, "attribute action must be keep or dispose, not '\(actionText)'")
                return nil
            }
            var years: Int?
            if let text = element.attribute("years") {
                guard let n = Int(text) else {
                    error(element, "attribute years is not a whole number: '\(text)'")
                    return nil
                }
                years = n
            }
            guard let mandate = required(element, "mandate") else { return nil }
            return parse(element) { () throws(DiariumError) in
                try RetentionRule(series: series, recordType: recordType, action: action, years: years, mandate: mandate,
                                  schedule: element.attribute("schedule"))
            }
        }

        mutating func document(_ record: MarkupElement, in caseNumber: CaseNumber) -> TransferDocument? {
            guard let info = ext(record, "document") else {
                error(record, "record has no Diarium description (dx:document in additionalXMLData)")
                return nil
            }
            guard let numberText = required(info, "number"),
                  let number = parse(info, { () throws(DiariumError) in try DocumentNumber(parsing: numberText) }),
                  let registeredAt = time(info, "registeredAt"), let registeredBy = required(info, "registeredBy")
            else { return nil }
            guard number.caseNumber == caseNumber else {
                error(info, "document \(number) is inside case \(caseNumber)")
                return nil
            }
            var versions: [TransferVersion] = []
            for element in info.children("version", namespace: extensionNamespace) {
                guard let version = version(element) else { continue }
                // A package may hold only the final versions (`--versions final`), so numbers need not start at 1,
                // but they must rise.
                if let previous = versions.last?.version.number, version.version.number <= previous {
                    error(element, "version \(version.version.number) out of order: it follows version \(previous)")
                }
                versions.append(version)
            }
            guard !versions.isEmpty else {
                error(info, "document \(number) has no version")
                return nil
            }
            return TransferDocument(number: number, registeredAt: registeredAt, registeredBy: registeredBy,
                                    externalReference: info.attribute("externalReference"), versions: versions)
        }

        mutating func version(_ element: MarkupElement) -> TransferVersion? {
            let before = diagnostics.count
            let n = element.attribute("n").flatMap { Int($0) }
            if n == nil || n! < 1 { error(element, "attribute n must be a positive version number") }
            let change = element.attribute("change").flatMap(ChangeKind.init(rawValue:))
            if change == nil { error(element, "unknown change '\(element.attribute("change") ?? "")'") }
            let status = element.attribute("status").flatMap(DocumentStatus.init(rawValue:))
            if status == nil { error(element, "unknown status '\(element.attribute("status") ?? "")'") }
            let author = required(element, "author")
            let createdAt = time(element, "createdAt")
            guard let m = element.child("metadata", namespace: extensionNamespace) else {
                error(element, "version has no dx:metadata")
                return nil
            }
            let title = required(m, "title")
            let recordType = m.attribute("recordType").flatMap(RecordType.init(rawValue:))
            if recordType == nil { error(m, "unknown recordType '\(m.attribute("recordType") ?? "")'") }
            let direction = m.attribute("direction").flatMap(Direction.init(rawValue:))
            if direction == nil { error(m, "unknown direction '\(m.attribute("direction") ?? "")'") }
            var documentDate: CalendarDate?
            if let text = m.attribute("documentDate") {
                documentDate = parse(m) { () throws(DiariumError) in try CalendarDate(parsing: text, field: "documentDate") }
            }
            var restriction: AccessRestriction?
            if let r = element.child("restriction", namespace: extensionNamespace) {
                let kind = r.attribute("kind").flatMap(AccessRestriction.Kind.init(rawValue:))
                if kind == nil { error(r, "unknown restriction kind '\(r.attribute("kind") ?? "")'") }
                let hides = (r.attribute("hides") ?? "").split(separator: " ").compactMap { AccessRestriction.Part(rawValue: String($0)) }
                var until: CalendarDate?
                if let text = r.attribute("until") {
                    until = parse(r) { () throws(DiariumError) in try CalendarDate(parsing: text, field: "until") }
                }
                if let kind {
                    restriction = parse(r) { () throws(DiariumError) in
                        try AccessRestriction(kind: kind, legalReference: r.attribute("legalReference") ?? "", until: until, hides: hides)
                    }
                }
            }
            var content: ContentReference?
            var path: String?
            if let c = element.child("content", namespace: extensionNamespace) {
                path = required(c, "path")
                let sha256 = required(c, "sha256")
                let size = c.attribute("size").flatMap { Int64($0) }
                if size == nil || size! < 0 { error(c, "attribute size must be a byte count") }
                if let sha256, !(sha256.utf8.count == 64 && sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })) {
                    error(c, "attribute sha256 must be 64 lower-case hex digits")
                }
                if let sha256, let size, let mediaType = required(c, "mediaType"), let name = required(c, "originalName") {
                    content = ContentReference(sha256: sha256, size: size, mediaType: mediaType, originalName: name)
                }
            }
            guard diagnostics.count == before, let n, let change, let status, let author, let createdAt, let title,
                  let recordType, let direction
            else { return nil }
            let metadata = DocumentMetadata(
                title: title, publicTitle: m.attribute("publicTitle"), recordType: recordType, direction: direction,
                documentDate: documentDate, sender: m.attribute("sender"), recipient: m.attribute("recipient"),
                classification: m.attribute("classification"), restriction: restriction)
            return TransferVersion(
                version: DocumentVersion(number: n, change: change, author: author, createdAt: createdAt,
                                         comment: element.attribute("comment"), status: status, metadata: metadata, content: content),
                contentPath: path)
        }
    }
}

import DiariumCore
import DiariumExchange
import DiariumXML
import Foundation

/// Another tool's ERMS (FGS Ärendehantering) read for a foreign import: each `record` names its files
/// (`additionalInformation/appendix/@path`), so each file takes its own record's title, number, direction, parties and
/// date, not the first ones anywhere in the document. What a record says that Diarium has no place for is listed, so
/// an archivist knows what stays only in the attached original.
struct ForeignERMS {
    struct Record: Equatable {
        /// Which record of the document it is (the order read): a record naming several files is one record.
        var id: Int
        var title: String
        var recordType: RecordType = .other
        var direction: Direction
        var documentDate: CalendarDate?
        var sender: String?
        var recipient: String?
        /// Files the record names: more than one gets the file name in each title.
        var files: Int
        /// "file:line <element> → field (record)": what was taken, and from where; reported for a record whose file
        /// was found, not for one that named none of the package's files.
        var mapped: [String] = []
    }

    /// Records by the package path of each file they name (as written, and percent-decoded).
    var byPath: [String: Record] = [:]
    private var count = 0
    /// Record elements with no place here, one warning per record.
    var unmapped: [PackageDiagnostic] = []

    /// The elements of a record this reading takes (or that only carry structure).
    static let taken: Set<String> = ["objectId", "title", "direction", "agents", "dates", "additionalInformation"]

    /// Record types as Diarium's own packages write them (its `RecordType` values), and the Swedish names others use.
    static func recordType(_ text: String) -> RecordType? {
        RecordType.typed(text)
    }

    init() {}

    /// Reads one ERMS document into what was read so far (a package may describe its records in several).
    mutating func read(_ root: MarkupElement, file: String) {
        let ns = Namespace.erms
        for aggregation in root.descendants("aggregation", namespace: ns) {
            for element in aggregation.children("record", namespace: ns) { readRecord(element, file: file) }
        }
    }

    private mutating func readRecord(_ element: MarkupElement, file: String) {
        let ns = Namespace.erms
        let written = element.child("additionalInformation", namespace: ns)?.children("appendix", namespace: ns)
            .compactMap { $0.attribute("path") } ?? []
        let paths = written.flatMap(Self.packagePaths)
        let number = element.attribute("systemIdentifier") ?? element.child("objectId", namespace: ns)?.trimmedText
        let label = number.map { " (\($0))" } ?? ""
        guard !paths.isEmpty else {
            // Only files become documents here.
            unmapped.append(PackageDiagnostic(.warning, file: file, line: element.line, element: "record",
                message: "record\(label) names no file of the package (appendix/@path): not registered (kept in the attached original)"))
            return
        }
        var mapped: [String] = []
        func took(_ source: MarkupElement, _ field: String, shortened: Bool = false) {
            mapped.append("\(file):\(source.line) <\(source.name.localName)> → \(field)\(label)" + (shortened ? " (shortened)" : ""))
        }

        // Title, with the record's own number after it: the number it had is how its people will look for it.
        var title = number ?? "Handling"
        if let source = element.child("title", namespace: ns), let text = source.trimmedText {
            let room = 1000 - 3 - 255 - (number.map { $0.count + 3 } ?? 0)
            if let folded = TextRules.foldedLine(text, maxLength: max(1, room)) {
                title = folded.text + (number.map { " (\($0))" } ?? "")
                took(source, "title", shortened: folded.shortened)
            }
        }
        count += 1
        var record = Record(id: count, title: title, direction: .internal, files: Set(written).count)
        if let type = element.attribute("recordType") {
            if let known = Self.recordType(type) {
                record.recordType = known
                mapped.append("\(file):\(element.line) <record recordType> → recordType\(label)")
            } else {
                // Kept as "other", said: retention rules are per record type, and this one decides none.
                unmapped.append(PackageDiagnostic(.warning, file: file, line: element.line, element: "record",
                    message: "record\(label): recordType '\(type)' is not one of Diarium's (\(RecordType.allCases.map(\.rawValue).joined(separator: ", "))): "
                        + "registered as other"))
            }
        }
        if let source = element.child("direction", namespace: ns), let definition = source.attribute("directionDefinition") {
            record.direction = switch definition {
            case "incoming": .incoming
            case "outgoing": .outgoing
            default: .internal
            }
            took(source, "direction")
        }
        // The record's own dates only (never the document's control dates), the one the document bears first.
        let dates = element.child("dates", namespace: ns)?.children("date", namespace: ns) ?? []
        for kind in ["originated", "created", "received", "sent", "dispatch", "decision"] {
            guard let source = dates.first(where: { $0.attribute("dateType") == kind }), let text = source.trimmedText,
                  let date = Timestamp.parseDateTime(text).map(Timestamp.swedishDate(of:))
                      ?? (try? CalendarDate(parsing: String(text.prefix(10)), field: "date"))
            else { continue }
            record.documentDate = date
            took(source, "documentDate")
            break
        }
        for agent in element.child("agents", namespace: ns)?.children("agent", namespace: ns) ?? [] {
            guard let name = agent.child("name", namespace: ns)?.trimmedText, let folded = TextRules.foldedLine(name, maxLength: 500) else { continue }
            switch agent.attribute("agentType") {
            case "sender" where record.sender == nil:
                record.sender = folded.text
                took(agent, "sender", shortened: folded.shortened)
            case "receiver", "recipient":
                if record.recipient == nil {
                    record.recipient = folded.text
                    took(agent, "recipient", shortened: folded.shortened)
                }
            default: break
            }
        }
        let left = Set(element.children.filter { $0.name.namespaceURI == ns && !Self.taken.contains($0.name.localName) }.map(\.name.localName))
        if !left.isEmpty {
            unmapped.append(PackageDiagnostic(.warning, file: file, line: element.line, element: "record",
                message: "record\(label): " + left.sorted().map { "<\($0)>" }.joined(separator: ", ")
                    + " not taken over (kept in the attached original)"))
        }
        record.mapped = mapped
        for path in paths where byPath[path] == nil { byPath[path] = record }
    }

    /// The package paths an appendix's path may mean: as written, and as a `file:` URI (`file:///path/to/file`, the
    /// form ERMS.xsd gives) or percent-encoded text decoded, each without a leading `./` or `/`.
    static func packagePaths(_ written: String) -> [String] {
        var path = Substring(written)
        if path.hasPrefix("file:") { path = path.dropFirst(5) }
        let raw = normalised(String(path))
        guard let decoded = raw.removingPercentEncoding, decoded != raw else { return [raw] }
        return [raw, normalised(decoded)]
    }

    /// A path as the package lists it: no leading `./` or `/`.
    static func normalised(_ path: String) -> String {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        while path.hasPrefix("/") { path = path.dropFirst() }
        return String(path)
    }
}

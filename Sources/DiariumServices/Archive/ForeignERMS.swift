import DiariumCore
import DiariumExchange
import DiariumXML

/// Another tool's ERMS (FGS Ärendehantering) read for a foreign import: each `record` names its files
/// (`additionalInformation/appendix/@path`), so each file takes its own record's title, number, direction, parties and
/// date, not the first ones anywhere in the document. What a record says that Diarium has no place for is listed, so
/// an archivist knows what stays only in the attached original.
struct ForeignERMS {
    struct Record: Equatable {
        var title: String
        var direction: Direction
        var documentDate: CalendarDate?
        var sender: String?
        var recipient: String?
        /// Files the record names: more than one gets the file name in each title.
        var files: Int
    }

    /// Records by the package path of each file they name.
    var byPath: [String: Record] = [:]
    /// "file:line <element> → field (record)": what was taken, and from where.
    var mapped: [String] = []
    /// Record elements with no place here, one warning per record.
    var unmapped: [PackageDiagnostic] = []

    /// The elements of a record this reading takes (or that only carry structure).
    static let taken: Set<String> = ["objectId", "title", "direction", "agents", "dates", "additionalInformation"]

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
        let paths = element.child("additionalInformation", namespace: ns)?.children("appendix", namespace: ns)
            .compactMap { $0.attribute("path").map(Self.normalised) } ?? []
        let number = element.attribute("systemIdentifier") ?? element.child("objectId", namespace: ns)?.trimmedText
        let label = number.map { " (\($0))" } ?? ""
        guard !paths.isEmpty else {
            // Only files become documents here.
            unmapped.append(PackageDiagnostic(.warning, file: file, line: element.line, element: "record",
                message: "record\(label) names no file of the package (appendix/@path): not registered (kept in the attached original)"))
            return
        }
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
        var record = Record(title: title, direction: .internal, files: paths.count)
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
        for path in paths where byPath[path] == nil { byPath[path] = record }
    }

    /// A path as the package lists it: no leading `./` or `/`.
    static func normalised(_ path: String) -> String {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        while path.hasPrefix("/") { path = path.dropFirst() }
        return String(path)
    }
}

import DiariumCore
import DiariumXML
import Foundation

/// `documentation/index.html`: a Swedish, human-readable table of contents of the package, for an archivist
/// who opens it without any software but a browser.
public enum PackageDocumentation {
    public static let path = "documentation/index.html"


    public struct Summary: Sendable {
        public var cases: Int
        public var documents: Int
        public var versions: Int
        public var contentFiles: Int

        public init(cases: Int, documents: Int, versions: Int, contentFiles: Int) {
            self.cases = cases
            self.documents = documents
            self.versions = versions
            self.contentFiles = contentFiles
        }
    }

    /// Who the package names, in words: arkivbildare, levererande organisation, arkiv, leveransöverenskommelse.
    static func agentsText(_ creator: PackageCreator) -> String {
        func named(_ organisation: Organisation) -> String { organisation.name + (organisation.code.map { " (\($0))" } ?? "") }
        var parts: [String] = []
        if let archivalCreator = creator.archivalCreator { parts.append("Arkivbildare: \(named(archivalCreator)).") }
        if let submitter = creator.submitter { parts.append("Levererande organisation: \(named(submitter)).") }
        if let preservation = creator.preservation { parts.append("Mottagande arkiv: \(named(preservation)).") }
        if let agreement = creator.submissionAgreement { parts.append("Leveransöverenskommelse: \(agreement).") }
        if let code = creator.referenceCode { parts.append("Referenskod: \(code).") }
        return parts.map { $0 + " " }.joined()
    }

    /// The page around its case sections (`head`, a `fragment` per case, `tail`); the summary goes at the end,
    /// since a streamed export knows the counts only then.
    /// `classification`: the classification structure, listed after the summary with each class's rule.
    public static func skeleton(header: METS.Header, summary: Summary,
                                classification: [ClassificationClass] = []) -> (head: String, tail: String) {
        var w = XMLWriter(declaration: false)
        w.start("html", ["lang": "sv", "xmlns": "http://www.w3.org/1999/xhtml"])
        w.start("head")
        w.empty("meta", ["charset": "utf-8"])
        w.element("title", text: "Informationspaket \(header.objectID)")
        w.end()
        w.start("body")
        w.element("h1", text: "Informationspaket \(header.label)")
        w.start("p")
        let creator = header.creator
        let organisation = creator.submittingOrganisation.map { " (\($0.name))" } ?? ""
        w.text("Paketet \(header.objectID) skapades \(XMLTime.format(header.createdAt)) av \(creator.person)\(organisation) "
            + "med \(creator.software) \(creator.softwareVersion). " + Self.agentsText(creator)
            + "Det följer FGS Paketstruktur 2.0 (E-ARK SIP 2.1) och beskriver ärendena enligt FGS Ärendehantering 2.0 "
            + "(CITS ERMS) i \(ERMSPaths.descriptive). Bevarandemetadata (PREMIS 3: kontrollsummor, format och händelser) "
            + "finns i \(ERMSPaths.preservation) för paketets filer och i \(METS.representationPreservationPath) för "
            + "innehållsfilerna, där filformatet anges med PRONOM-identitet när innehållet kunde identifieras. "
            + "METS.xml förtecknar paketets filer med storlek och SHA-256, "
            + "\(METS.representationPath) innehållsfilerna. "
            + "Filerna under representations/rep1/data/ har namn efter handlingens nummer och version; "
            + "det ursprungliga filnamnet står i tabellerna nedan.")
        w.end()
        w.start("div")
        let point = w.insertionPoint()
        w.end()
        w.element("h2", text: "Sammanfattning")
        w.start("p")
        w.text("Innehåll: \(summary.cases) ärenden, \(summary.documents) handlingar, \(summary.versions) versioner, "
            + "\(summary.contentFiles) filer under representations/rep1/data/. "
            + "Handlingar med sekretessmarkering är med, tillsammans med markeringen och dess lagrum.")
        w.end()
        if !classification.isEmpty {
            w.element("h2", text: "Klassificeringsstruktur")
            w.start("p")
            w.text("Regeln för en klass gäller handlingar i klassen och i klasserna under den som saknar egen regel, "
                + "före seriens regler. En klass regel för en handlingstyp går före klassens egen regel.")
            w.end()
            w.start("table", ["border": "1"])
            w.start("tr")
            for heading in ["Kod", "Klass", "Bevarande och gallring", "Beslut"] { w.element("th", text: heading) }
            w.end()
            func row(_ code: String, _ title: String, _ terms: RetentionTerms?) {
                w.start("tr")
                w.element("td", text: code)
                w.element("td", text: title)
                w.element("td", text: terms?.period ?? "")
                w.element("td", text: terms.map { $0.mandate + ($0.schedule.map { " (\($0))" } ?? "") } ?? "")
                w.end()
            }
            for item in ClassificationScheme(classification).ordered {
                row(item.code, item.title, item.retention)
                for (type, terms) in item.typeRules { row(item.code, "\(item.title): \(type.swedishName)", terms) }
            }
            w.end()
        }
        w.end()
        w.end()
        let (head, tail) = split(w.output, at: point)
        return ("<!DOCTYPE html>\n" + head, tail + "\n")
    }

    /// One case: a heading, a line about it, and a table row per document version. `scheme` gives class titles and
    /// the rules of classes, which come before the series' rules.
    public static func fragment(_ item: TransferCase, scheme: ClassificationScheme = ClassificationScheme([])) -> String {
        var w = XMLWriter(declaration: false)
        let c = item.record
        w.start("section")
        w.element("h2", text: "\(c.number) – \(c.title)")
        w.start("p")
        w.text("Status: \(c.status.swedishName). Öppnat \(XMLTime.format(c.openedAt)) av \(item.openedBy)"
            + (c.closedAt.map { ", avslutat \(XMLTime.format($0))" } ?? "") + "."
            + (c.classification.map { code in " Klassificering: \(code)" + (scheme.classes[code].map { " \($0.title)" } ?? "") + "." } ?? "")
            + (item.archivalCreator.map { " Arkivbildare: \($0.name)" + ($0.code.map { " (\($0))" } ?? "") + "." } ?? "")
            + (c.restriction.map { " Titeln omfattas av \($0.kind.swedishName) (\($0.legalReference))"
                + (c.publicTitle.map { "; offentlig titel: \($0)" } ?? "") + "." }
               ?? c.publicTitle.map { " Titeln hålls dold utan registrerad grund; offentlig titel: \($0)." } ?? ""))
        w.end()
        // The rules that govern the case's documents by record type, as disposal applies them: the case's class (or
        // the nearest above it with a rule) before the series' rules. Types under the same rule are named together,
        // the largest group as "övriga handlingar".
        var groups: [(text: String, types: [RecordType])] = []
        for type in RecordType.allCases {
            guard let rule = scheme.rule(series: c.number.series, code: c.classification, type: type, seriesRules: item.retention) else { continue }
            let text = "\(rule.period) (\(rule.mandate)\(rule.classCode != nil ? ", \(rule.scope)" : ""))"
            if let at = groups.firstIndex(where: { $0.text == text }) { groups[at].types.append(type) } else { groups.append((text, [type])) }
        }
        if !groups.isEmpty {
            // Types no rule covers are said to have none, so "övriga" never stands for them.
            let complete = groups.reduce(0) { $0 + $1.types.count } == RecordType.allCases.count
            let others = complete ? groups.indices.max { groups[$0].types.count < groups[$1].types.count } : nil
            let parts = groups.indices.filter { $0 != others }.map { index in
                groups[index].types.map(\.swedishName).joined(separator: ", ") + ": " + groups[index].text
            } + [others.map { (groups.count == 1 ? "alla handlingar: " : "övriga handlingar: ") + groups[$0].text } ?? "övriga handlingar: ingen regel"]
            w.start("p")
            w.text("Bevarande och gallring: " + parts.joined(separator: "; ") + ".")
            w.end()
        }
        w.start("table", ["border": "1"])
        w.start("tr")
        for heading in ["Nummer", "Titel", "Typ", "Status", "Sekretess", "Gallring", "Version", "Fil i paketet", "Ursprungligt filnamn"] {
            w.element("th", text: heading)
        }
        w.end()
        for document in item.documents {
            for version in document.versions {
                let v = version.version
                w.start("tr")
                w.element("td", text: document.number.description)
                w.element("td", text: v.metadata.title)
                w.element("td", text: v.metadata.recordType.swedishName)
                w.element("td", text: v.status.swedishName(v.metadata.direction))
                w.element("td", text: v.metadata.restriction.map { "\($0.kind.swedishName), \($0.legalReference)" } ?? "")
                let rule = scheme.rule(series: c.number.series, code: v.metadata.classification ?? c.classification, type: v.metadata.recordType,
                                       seriesRules: item.retention)
                let period = rule.map { rule in rule.period + (rule.classCode != nil ? " (\(rule.scope))" : "") }
                w.element("td", text: document.disposal.map(\.summary) ?? period ?? "")
                w.element("td", text: String(v.number))
                w.element("td", text: version.contentPath ?? (document.disposal != nil && v.content != nil ? "(gallrad)" : "(ingen fil)"))
                w.element("td", text: v.content?.originalName ?? "")
                w.end()
            }
        }
        w.end()
        w.end()
        return "\n" + w.output
    }
}

enum ERMSPaths {
    static let descriptive = METS.descriptivePath
    static let preservation = METS.preservationPath
}

/// BagIt (RFC 8493) tag files around a package tree: the payload is the package under `data/`.
public enum BagIt {
    public static let declaration = Array("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".utf8)

    /// `manifest-sha256.txt`: one line per payload file, `data/`-relative paths, sorted.
    public static func manifest(_ files: [(path: String, sha256: String)]) -> [UInt8] {
        var text = ""
        for file in files.sorted(by: { $0.path < $1.path }) {
            text += "\(file.sha256)  \(encodePath(file.path))\n"
        }
        return Array(text.utf8)
    }

    /// `source`: the organisation, left out when the package names none.
    public static func bagInfo(source: String?, payloadBytes: Int64, payloadFiles: Int, date: CalendarDate, externalIdentifier: String) -> [UInt8] {
        let organisation = source.map { "Source-Organization: \(oneLine($0))\n" } ?? ""
        return Array((organisation + """
            Bagging-Date: \(date)
            External-Identifier: \(oneLine(externalIdentifier))
            Payload-Oxum: \(payloadBytes).\(payloadFiles)
            Bag-Software-Agent: Diarium

            """).utf8)
    }

    /// One manifest line: `<sha256>  <path>`.
    public static func manifestLine(path: String, sha256: String) -> String {
        "\(sha256)  \(encodePath(path))\n"
    }

    /// RFC 8493 §2.1.3: CR, LF and % in paths are percent-encoded.
    static func encodePath(_ path: String) -> String {
        path.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\n", with: "%0A")
            .replacingOccurrences(of: "\r", with: "%0D")
    }

    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}

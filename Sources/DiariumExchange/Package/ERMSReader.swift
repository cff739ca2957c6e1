import DiariumCore
import DiariumPackage
import DiariumXML
import Foundation

extension ERMS {
    /// What reading an ERMS document gave.
    public struct Reading: Sendable {
        /// The records; nil when any error was found (or the document could not be read at all).
        public var transfer: RecordsTransfer?
        public var diagnostics: [PackageDiagnostic]
        /// Written by Diarium (an ERMS document whose cases carry `dx:case`), as opposed to another ERMS tool's, whose
        /// records import only as a foreign package.
        public var isDiarium: Bool
        /// Not well-formed, or refused (a DOCTYPE): the diagnostics say why, whoever wrote it.
        public var isUnreadable: Bool
    }

    /// Reads an ERMS document written by Diarium (with the extension elements) into records. Every problem is a
    /// diagnostic naming the file, line and element; the result is nil when any error was found.
    public static func read(_ bytes: [UInt8], file: String) -> (transfer: RecordsTransfer?, diagnostics: [PackageDiagnostic]) {
        do {
            let reading = try read(.bytes(bytes), file: file)
            return (reading.transfer, reading.diagnostics)
        } catch {
            return (nil, [PackageDiagnostic(file: file, message: error.message)])   // not reached: only a file cannot be read
        }
    }

    /// Reads an ERMS document (bytes, or a file of any size), streamed a record at a time: what it holds at once is
    /// one record and the records read so far (a hundred thousand of them cost their values, not a tree of the
    /// document, which is about ten times its size). A case's records are read as they come and placed in it when
    /// its description (at its end) has been read. More than `maxVersions` versions, or than
    /// `PackageDiagnostic.maxPerDocument` problems, stop the reading there (an error). Throws only when the file
    /// cannot be read (`.storage`).
    public static func read(_ input: XMLInput, file: String, maxVersions: Int = 4 * ArchiveLimits().maxEntries) throws(DiariumError) -> Reading {
        let erms = { (name: String) in MarkupName(name, namespaceURI: Namespace.erms) }
        var reader = Reader(file: file)
        let root: MarkupElement.StreamedRoot
        do throws(DiariumError) {
            root = try MarkupElement.stream(input, names: [erms("control"), erms("aggregation"), erms("record")],
                                            options: PackageReader.streamingOptions) { element, ancestors throws(DiariumError) in
                // Bounded by what a package may hold, not by the document (which the archive's limits allow to be gigabytes).
                if reader.versions > maxVersions {
                    throw DiariumError.invalid("package", "\(file) describes more than \(maxVersions) versions, more than a package may hold")
                }
                try PackageDiagnostic.stopReading(file, after: reader.diagnostics.count + reader.pendingDiagnostics)
                // Only cases and records under control/aggregations, as Diarium writes them.
                guard ancestors.first?.name == erms("erms") else { return }
                if element.name == erms("control") {
                    if ancestors.count == 1 { reader.control(element) }
                    return
                }
                guard ancestors.count >= 2, ancestors[1].name == erms("aggregations") else { return }
                if element.name == erms("record") {
                    // A case's own records, not those inside another record.
                    if let parent = ancestors.last, parent.name == erms("aggregation") {
                        reader.record(element, depth: ancestors.count - 1)
                    } else {
                        reader.diagnostics.append(PackageDiagnostic(.warning, file: file, line: element.line, element: "record",
                            message: "a record inside <\(ancestors.last?.name.localName ?? "")> not taken over (Diarium reads a case's own records)"))
                    }
                } else {
                    reader.aggregation(element, depth: ancestors.count)
                }
            }
        } catch {
            if error.code == .storage { throw error }
            // What was read says whose the document is; the error makes it unreadable as a whole.
            return Reading(transfer: nil, diagnostics: reader.diagnostics + [PackageDiagnostic(file: file, message: error.message)],
                           isDiarium: reader.sawDiariumCase, isUnreadable: true)
        }
        guard root.element.name == erms("erms") else {
            return Reading(transfer: nil, diagnostics: [PackageDiagnostic(file: file, line: root.element.line, element: root.element.name.localName,
                                                                          message: "expected an ERMS document (<erms> in \(Namespace.erms))")],
                           isDiarium: false, isUnreadable: false)
        }
        let transfer = reader.finish(root.element)
        return Reading(transfer: reader.errorCount > 0 ? nil : transfer, diagnostics: reader.diagnostics, isDiarium: reader.sawDiariumCase,
                       isUnreadable: false)
    }

    /// The cases and records an ERMS document restricts (an ERMS `restriction`, or Diarium's `dx:restriction`), by
    /// identifier (`systemIdentifier`, else `objectId`, else the element) and line, each once: what an import that cannot
    /// carry restrictions over must refuse. Any document may be given; one without them gives none.
    public static func restrictedRecords(_ root: MarkupElement) -> [(name: String, line: Int)] {
        var found: [(name: String, line: Int)] = []
        var named: Set<String> = []
        func visit(_ element: MarkupElement, owner: (name: String, line: Int)?) {
            var owner = owner
            let ns = element.name.namespaceURI
            if ns == Namespace.erms, element.name.localName == "record" || element.name.localName == "aggregation" {
                let name = element.attribute("systemIdentifier") ?? element.child("objectId", namespace: Namespace.erms)?.trimmedText
                owner = (name ?? "<\(element.name.localName)>", element.line)
            }
            if element.name.localName == "restriction", ns == Namespace.erms || ns == extensionNamespace {
                let what = owner ?? ("<restriction>", element.line)
                if named.insert("\(what.name)@\(what.line)").inserted { found.append(what) }
            }
            for child in element.children { visit(child, owner: owner) }
        }
        visit(root, owner: nil)
        return found
    }

    struct Reader {
        let file: String
        var diagnostics: [PackageDiagnostic] = []

        /// Errors so far (warnings do not make a case or record unreadable).
        var errorCount = 0

        mutating func error(_ element: MarkupElement, _ message: String) {
            error(line: element.line, element: element.name.localName, message)
        }

        mutating func error(line: Int, element: String, _ message: String) {
            errorCount += 1
            diagnostics.append(PackageDiagnostic(file: file, line: line, element: element, message: message))
        }

        /// The standard elements Diarium writes for a case and for a record (`ERMS.writeCase`, `writeRecord`).
        static let caseElements: Set<String> = ["objectId", "extraId", "classification", "title", "otherTitle", "status",
                                                "additionalInformation", "restriction", "disposal", "agents", "dates", "record"]
        static let recordElements: Set<String> = ["objectId", "extraId", "classification", "title", "otherTitle", "status",
                                                  "runningNumber", "restriction", "disposal", "direction", "agents", "description", "dates",
                                                  "additionalInformation"]

        /// Warns of what was added to or changed in the standard elements after export (by an e-archive, or by hand):
        /// the import reads Diarium's own description (`dx:`), so the rest would go without a word.
        mutating func noteEdits(_ element: MarkupElement, known: Set<String>, what: String, title: String) {
            let added = Set(element.children.filter { $0.name.namespaceURI == Namespace.erms && !known.contains($0.name.localName) }
                .map(\.name.localName))
            if !added.isEmpty {
                diagnostics.append(PackageDiagnostic(.warning, file: file, line: element.line, element: element.name.localName,
                    message: "\(what): " + added.sorted().map { "<\($0)>" }.joined(separator: ", ")
                        + " not taken over (not written by Diarium; the import reads its own description, dx:)"))
            }
            if let standard = element.child("title", namespace: Namespace.erms), let text = standard.trimmedText, text != title {
                diagnostics.append(PackageDiagnostic(.warning, file: file, line: standard.line, element: "title",
                    message: "\(what): <title> '\(text.prefix(200))' differs from Diarium's description, whose title is kept"))
            }
        }

        func ext(_ element: MarkupElement, _ name: String) -> MarkupElement? {
            element.child("additionalInformation", namespace: Namespace.erms)?
                .children("additionalXMLData", namespace: Namespace.erms)
                .lazy.compactMap { $0.child(name, namespace: extensionNamespace) }.first
        }

        /// A required attribute, held to the rules a registration applies to text (one line, not blank, bounded).
        mutating func required(_ element: MarkupElement, _ attribute: String, maxLength: Int = 1000) -> String? {
            guard let value = element.attribute(attribute), !value.isEmpty else {
                error(element, "attribute \(attribute) is missing")
                return nil
            }
            return text(element, attribute, maxLength: maxLength)
        }

        /// An optional attribute (nil when absent), held to the same rules and stored as they leave it (trimmed, NFC,
        /// like every text here): present but blank is an error, not absent.
        mutating func text(_ element: MarkupElement, _ attribute: String, maxLength: Int = 1000) -> String? {
            guard var value = element.attribute(attribute) else { return nil }
            // A package written before lines refused bidirectional controls may hold them: dropped, the text read in
            // its stored order, so that the package stays importable. Not in a file's name, which never took them.
            if attribute != "originalName" { value = TextRules.withoutBidirectionalControls(value) }
            do { return try TextRules.line(value, field: attribute, maxLength: maxLength) } catch {
                self.error(element, "attribute \(attribute): \(error.message)")
                return nil
            }
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
            // Stored times are written with a four-digit year; year 0000 an hour east of UTC is year -1, which
            // would be written as `00-1-12-31T…` and never read back.
            guard Timestamp.isWritable(date) else {
                error(element, "attribute \(attribute): '\(text)' is outside the years 1000–9999 (in UTC and in Swedish time)")
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

        // What the stream has read so far.
        var series: [SeriesCode: Series] = [:]
        var withoutDepartment: Set<SeriesCode> = []
        var cases: [TransferCase] = []
        var caseLines: [CaseNumber: Int] = [:]
        var classes: [ClassificationClass] = []
        var aggregations = 0
        /// Whether any case carried Diarium's description (`dx:case`): the document is Diarium's.
        var sawDiariumCase = false
        /// The records read of each open aggregation, by its depth: placed in it when it ends.
        var pending: [Int: [PendingRecord]] = [:]
        /// What the pending records said, and the versions read so far (held, or waiting for their case).
        var pendingDiagnostics = 0
        var versions = 0

        /// A record read before its case: the document (nil when refused), and what reading it said.
        struct PendingRecord {
            var document: TransferDocument?
            var line: Int
            var diagnostics: [PackageDiagnostic]
            var errors: Int
        }

        mutating func control(_ control: MarkupElement) {
            classes = classification(control)
        }

        /// A record of the aggregation at `depth`, read now and kept (with what reading it said) until its case is read.
        mutating func record(_ record: MarkupElement, depth: Int) {
            let (said, errorsBefore) = (diagnostics.count, errorCount)
            let read = document(record)
            versions += read?.document.versions.count ?? 1
            pendingDiagnostics += diagnostics.count - said
            pending[depth, default: []].append(PendingRecord(document: read?.document, line: read?.line ?? record.line,
                                                             diagnostics: Array(diagnostics[said...]), errors: errorCount - errorsBefore))
            diagnostics.removeSubrange(said...)
            errorCount = errorsBefore
        }

        /// What the stream read, once it has ended; `root` for where an empty document is reported.
        mutating func finish(_ root: MarkupElement) -> RecordsTransfer {
            if aggregations == 0 {
                error(root, "no case (aggregation of type caseFile) in the document")
            }
            return RecordsTransfer(series: series.values.sorted { $0.code < $1.code }, cases: cases, seriesWithoutDepartment: withoutDepartment,
                                   classification: classes)
        }

        /// An aggregation at `depth` has ended: its records were read (`record`); now its description, and the records
        /// placed in it (said only when it is a case that is read: an aggregation left out says so itself).
        mutating func aggregation(_ aggregation: MarkupElement, depth: Int) {
            aggregations += 1
            let records = pending.removeValue(forKey: depth) ?? []
            pendingDiagnostics -= records.reduce(0) { $0 + $1.diagnostics.count }
            let info = ext(aggregation, "case")
            if info != nil { sawDiariumCase = true }
            // Anything else would be skipped with its records, and an interchange "accepted" with them missing.
            guard let type = aggregation.attribute("aggregationType"), type == "caseFile" else {
                error(aggregation, (aggregation.attribute("aggregationType").map { "aggregationType '\($0)' is not caseFile" }
                                    ?? "attribute aggregationType is missing") + ": Diarium reads cases (caseFile) only, and would "
                      + "leave out this aggregation and its \(records.count) record\(records.count == 1 ? "" : "s")")
                return
            }
            guard let info else {
                error(aggregation, "case has no Diarium description (dx:case in additionalXMLData): not a Diarium package")
                return
            }
            let before = errorCount
            guard let numberText = required(info, "number"),
                  let number = parse(info, { () throws(DiariumError) in try CaseNumber(parsing: numberText) }),
                  let openedAt = time(info, "openedAt")
            else { return }
            if let first = caseLines[number] {
                error(info, "case \(number) occurs twice (first at line \(first))")
                return
            }
            caseLines[number] = info.line
            // What the catalog's CHECKs would refuse, refused here with the element and line.
            let title = required(info, "title")
            let openedBy = required(info, "openedBy", maxLength: 200)
            let publicTitle = text(info, "publicTitle")
            let restrictionElement = info.child("restriction", namespace: extensionNamespace)
            let restriction = restrictionElement.flatMap { self.restriction($0) }
            if let restriction, let element = restrictionElement {
                do { try RecordRules.checkCaseTitleRestriction(publicTitle: publicTitle, restriction: restriction) } catch {
                    self.error(element, error.message)
                }
            } else if publicTitle != nil {
                // Packages from before case grounds were recorded: the title stays hidden, as it was.
                diagnostics.append(PackageDiagnostic(.warning, file: file, line: info.line, element: info.name.localName,
                    message: "case \(number) has a public title but no dx:restriction: its title stays hidden from the public "
                        + "with no ground recorded"))
            }
            checkStandardRestrictions(of: aggregation, against: restriction, what: "case \(number)", holder: "its dx:case",
                                      unstatedAllowed: publicTitle != nil)
            let department = text(info, "department", maxLength: 200)
            let officer = text(info, "officer", maxLength: 200)
            let externalReference = text(info, "externalReference")
            let classification = text(info, "classification", maxLength: 64)
            if let classification {
                do { _ = try RecordRules.classification(classification, field: "classification") } catch {
                    self.error(info, "attribute classification: \(error.message)")
                }
            }
            let status = info.attribute("status").flatMap(CaseStatus.init(rawValue:))
            if status == nil { error(info, "attribute status must be open or closed") }
            let closedAt = time(info, "closedAt", optional: true)
            let closedBy = text(info, "closedBy", maxLength: 200)
            if closedBy != nil && status != .closed { error(info, "case \(number) is not closed but names who closed it (closedBy)") }
            if status == .closed && info.attribute("closedAt") == nil {
                error(info, "case \(number) is closed but has no closedAt")
            } else if status == .open && info.attribute("closedAt") != nil {
                error(info, "case \(number) is open but has a closedAt: a case is closed exactly when it has one")
            }
            if series[number.series] == nil {
                let name = info.attribute("seriesName") == nil ? number.series.rawValue : text(info, "seriesName", maxLength: 200)
                var department: Department?
                if let given = text(info, "seriesDepartment", maxLength: 200) {
                    department = parse(info) { () throws(DiariumError) in try Department(parsing: given, field: "seriesDepartment") }
                } else {
                    withoutDepartment.insert(number.series)
                }
                series[number.series] = Series(code: number.series, name: name ?? number.series.rawValue, department: department,
                                               createdAt: time(info, "seriesCreatedAt", optional: true) ?? openedAt)
            }
            var documents: [TransferDocument] = []
            var documentLines: [Int: Int] = [:]
            for record in records {
                diagnostics += record.diagnostics
                errorCount += record.errors
                guard let document = record.document else { continue }
                // Two records with one number would clash.
                if document.number.caseNumber != number {
                    error(line: record.line, element: "document", "document \(document.number) is inside case \(number)")
                } else if let first = documentLines[document.number.ordinal] {
                    error(line: record.line, element: "document", "document \(document.number) occurs twice (first at line \(first))")
                } else {
                    documentLines[document.number.ordinal] = record.line
                    documents.append(document)
                }
            }
            let retention = info.children("retention", namespace: extensionNamespace).compactMap { retentionRule($0, series: number.series) }
            let holds = self.holds(info)
            var revisions: [CaseRevision] = []
            var replacedSince = openedAt
            let kept = info.children("revision", namespace: extensionNamespace)
            // Each is listed in the import's event (and held to it by verify): a case corrected more often than anyone
            // would is an edited package, not a history.
            if kept.count > ERMS.maxRevisionsPerCase {
                error(kept[ERMS.maxRevisionsPerCase], "case \(number) has \(kept.count) earlier descriptions, more than the "
                      + "\(ERMS.maxRevisionsPerCase) a case may bring")
            }
            for (index, element) in kept.prefix(ERMS.maxRevisionsPerCase).enumerated() {
                guard let revision = caseRevision(element, expected: index + 1) else { continue }
                // Corrections come after the opening and one after another: a history out of order was edited.
                if revision.replacedAt < replacedSince {
                    error(element, "revision \(revision.n) was replaced at \(XMLTime.format(revision.replacedAt)), before "
                          + (index == 0 ? "the case was opened" : "revision \(index) was") + " (\(XMLTime.format(replacedSince)))")
                }
                replacedSince = revision.replacedAt
                revisions.append(revision)
            }
            guard errorCount == before, let title, let openedBy, let status else { return }
            noteEdits(aggregation, known: Self.caseElements, what: "case \(number)", title: title)
            let record = CaseRecord(
                number: number, title: title, publicTitle: publicTitle, restriction: restriction,
                classification: classification, status: status,
                department: department, officer: officer, openedAt: openedAt, closedAt: closedAt, documentCount: documents.count)
            var item = TransferCase(record: record, openedBy: openedBy, externalReference: externalReference,
                                    documents: documents, retention: retention, revisions: revisions)
            item.closedBy = closedBy
            item.holds = holds
            if let name = info.attribute("archivalCreator") {
                do {
                    item.archivalCreator = try Organisation(name: name, code: info.attribute("archivalCreatorCode"), field: "archivalCreator")
                } catch {
                    self.error(info, error.message)
                    return
                }
            } else if info.attribute("archivalCreatorCode") != nil {
                error(info, "attribute archivalCreatorCode needs archivalCreator (the organisation's name)")
                return
            }
            cases.append(item)
        }

        /// A `dx:revision` of a case: numbered 1, 2, … in order, held to the rules a correction applies.
        mutating func caseRevision(_ element: MarkupElement, expected: Int) -> CaseRevision? {
            let before = errorCount
            let n = element.attribute("n").flatMap { Int($0) }
            if n != expected { error(element, "attribute n must be \(expected) (revisions are numbered 1, 2, … in order), not '\(element.attribute("n") ?? "")'") }
            let replacedAt = time(element, "replacedAt")
            let replacedBy = required(element, "replacedBy", maxLength: 200)
            let title = required(element, "title")
            let publicTitle = text(element, "publicTitle")
            let classification = text(element, "classification", maxLength: 64)
            if let classification {
                do { _ = try RecordRules.classification(classification, field: "classification") } catch {
                    self.error(element, "attribute classification: \(error.message)")
                }
            }
            let department = text(element, "department", maxLength: 200)
            let officer = text(element, "officer", maxLength: 200)
            let restriction = element.child("restriction", namespace: extensionNamespace).flatMap { self.restriction($0) }
            if let restriction, restriction.hides != [.title] {
                error(element, "a case's restriction hides its title only")
            }
            guard errorCount == before, let replacedAt, let replacedBy, let title else { return nil }
            return CaseRevision(n: expected, replacedAt: replacedAt, replacedBy: replacedBy, title: title, publicTitle: publicTitle,
                                restriction: restriction, classification: classification, department: department, officer: officer)
        }

        /// A `dx:restriction` (of a version, or of a case's title), or nil after saying what is wrong with it.
        mutating func restriction(_ r: MarkupElement) -> AccessRestriction? {
            let kind = r.attribute("kind").flatMap(AccessRestriction.Kind.init(rawValue:))
            if kind == nil { error(r, "unknown restriction kind '\(r.attribute("kind") ?? "")'") }
            // Every word must be known: dropping one ("titles") would leave that part public.
            let words = (r.attribute("hides") ?? "").split(separator: " ")
            if words.isEmpty { error(r, "attribute hides is missing or empty: a restriction hides content, title or parties") }
            var hides: [AccessRestriction.Part] = []
            for word in words {
                guard let part = AccessRestriction.Part(rawValue: String(word)) else {
                    error(r, "attribute hides: unknown part '\(word)' (content, title or parties)")
                    continue
                }
                hides.append(part)
            }
            var until: CalendarDate?
            if let text = r.attribute("until") {
                until = parse(r) { () throws(DiariumError) in try CalendarDate(parsing: text, field: "until") }
            }
            guard let kind else { return nil }
            return parse(r) { () throws(DiariumError) in
                try AccessRestriction(kind: kind, legalReference: r.attribute("legalReference") ?? "", until: until, hides: hides)
            }
        }

        /// The ERMS `restriction`s of a case or record, which other tools read, against Diarium's own: each must rest
        /// on the ground Diarium's description gives, or the records would be imported more open than they were sent.
        mutating func checkStandardRestrictions(of element: MarkupElement, against own: AccessRestriction?, what: String, holder: String,
                                                unstatedAllowed: Bool = false) {
            for restriction in element.children("restriction", namespace: Namespace.erms) {
                // A legacy case's hidden title, which Diarium keeps hidden through its public title.
                if unstatedAllowed, own == nil, restriction.attribute("otherRestrictionType") == ERMS.unstatedRestriction { continue }
                let regulation = restriction.child("regulation", namespace: Namespace.erms)?.trimmedText
                guard let own else {
                    error(restriction, "\(what) is restricted (\(regulation ?? "no regulation")) but \(holder) has no "
                          + "dx:restriction: it would be imported as public")
                    continue
                }
                if let regulation, regulation != own.legalReference {
                    error(restriction, "\(what) is restricted under \(regulation), but \(holder)'s dx:restriction "
                          + "under \(own.legalReference)")
                }
            }
        }

        /// The classification structure of control/classificationSchema (`dx:classification`), each class checked
        /// as `diarium class set` checks it; a class whose parent the package lacks is an error, as it would be here.
        /// `control`: the document's control element.
        mutating func classification(_ control: MarkupElement) -> [ClassificationClass] {
            guard let schema = control.child("classificationSchema", namespace: Namespace.erms),
                  let list = ext(schema, "classification") else { return [] }
            var classes: [ClassificationClass] = []
            var codes: Set<String> = []
            // Classes refused, and those under them: one cause is one line, not one more per class below.
            var refused: Set<String> = []
            for element in list.children("class", namespace: extensionNamespace) {
                guard let item = classDescription(element) else {
                    if let code = element.attribute("code") { refused.insert(code) }
                    continue
                }
                guard codes.insert(item.code).inserted else {
                    error(element, "class \(item.code) is described twice")
                    continue
                }
                if let parent = item.parent, !codes.contains(parent) {
                    if !refused.contains(parent) {
                        error(element, "class \(item.code) comes before its parent \(parent), or the package lacks it")
                    }
                    refused.insert(item.code)
                    continue
                }
                classes.append(item)
            }
            return classes
        }

        /// One `dx:class`, checked as `diarium class set` and `class set-rule` check it; nil when refused (said).
        mutating func classDescription(_ element: MarkupElement) -> ClassificationClass? {
            guard let code = required(element, "code", maxLength: 64), let title = required(element, "title", maxLength: 200) else { return nil }
            var terms: RetentionTerms?
            if element.attribute("action") != nil {
                guard let read = retentionTerms(element) else { return nil }
                terms = read
            } else if element.attribute("mandate") != nil || element.attribute("years") != nil {
                error(element, "class \(code) has a mandate or years but no action (keep or dispose)")
                return nil
            }
            let description = text(element, "description", maxLength: 2000)
            // What a later version writes into a class may change which rule governs: refused, not taken over without it.
            if let unknown = element.children.first(where: { $0.name != MarkupName("rule", namespaceURI: extensionNamespace) }) {
                error(unknown, "class \(code) holds <\(unknown.name.localName)>, which this version does not read (a package from a newer "
                      + "Diarium?): refused rather than taken over without it")
                return nil
            }
            var typeRetention: [RecordType: RetentionTerms] = [:]
            var rulesRead = true
            for rule in element.children("rule", namespace: extensionNamespace) {
                guard let typeText = required(rule, "recordType") else { rulesRead = false; continue }
                guard let type = RecordType(rawValue: typeText) else {
                    let types = RecordType.allCases.map(\.rawValue).joined(separator: ", ")
                    error(rule, "attribute recordType must be one of \(types), not '\(typeText)'")
                    rulesRead = false
                    continue
                }
                guard typeRetention[type] == nil else {
                    error(rule, "class \(code) gives two rules for \(type.rawValue)")
                    rulesRead = false
                    continue
                }
                guard let terms = retentionTerms(rule) else { rulesRead = false; continue }
                typeRetention[type] = terms
            }
            guard rulesRead else { return nil }
            return parse(element) { () throws(DiariumError) in
                try ClassificationClass(code: code, title: title, description: description, retention: terms, typeRetention: typeRetention)
            }
        }

        /// A rule's terms from `action`, `years`, `mandate` and `schedule` (dx:retention's, dx:class's and dx:rule's).
        mutating func retentionTerms(_ element: MarkupElement) -> RetentionTerms? {
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
            guard let mandate = required(element, "mandate", maxLength: 500) else { return nil }
            return parse(element) { () throws(DiariumError) in
                try RetentionTerms(action: action, years: years, mandate: mandate, schedule: element.attribute("schedule"))
            }
        }

        mutating func retentionRule(_ element: MarkupElement, series: SeriesCode) -> RetentionRule? {
            let type = element.attribute("recordType")
            let recordType = type.flatMap(RecordType.init(rawValue:))
            if let type, recordType == nil {
                error(element, "attribute recordType: unknown record type '\(type)'")
                return nil
            }
            guard let terms = retentionTerms(element) else { return nil }
            return parse(element) { () throws(DiariumError) in
                try RetentionRule(series: series, recordType: recordType, action: terms.action, years: terms.years, mandate: terms.mandate,
                                  schedule: terms.schedule)
            }
        }

        /// A record's document and the line of its description; whether it belongs to its case is checked when the
        /// case has been read (`aggregation`).
        mutating func document(_ record: MarkupElement) -> (document: TransferDocument, line: Int)? {
            guard let info = ext(record, "document") else {
                error(record, "record has no Diarium description (dx:document in additionalXMLData)")
                return nil
            }
            guard let numberText = required(info, "number"),
                  let number = parse(info, { () throws(DiariumError) in try DocumentNumber(parsing: numberText) }),
                  let registeredAt = time(info, "registeredAt"), let registeredBy = required(info, "registeredBy", maxLength: 200)
            else { return nil }
            let before = errorCount
            let externalReference = text(info, "externalReference")
            let disposal = info.child("disposal", namespace: extensionNamespace).flatMap { self.disposal($0) }
            let disposed = info.child("disposal", namespace: extensionNamespace) != nil
            let holds = self.holds(info)
            // A hold keeps a document from disposal: one on a document disposed of contradicts itself.
            if disposed, !holds.isEmpty { error(info, "document \(number) is disposed of, but a legal hold keeps it") }
            var versions: [TransferVersion] = []
            for element in info.children("version", namespace: extensionNamespace) {
                guard let version = version(element, disposed: disposed) else { continue }
                // A package may hold only the final versions (`--versions final`), so numbers need not start at 1,
                // but they must rise.
                if let previous = versions.last?.version.number, version.version.number <= previous {
                    error(element, "version \(version.version.number) out of order: it follows version \(previous)")
                }
                versions.append(version)
            }
            guard !versions.isEmpty else {
                // Versions that were refused already said why.
                if errorCount == before { error(info, "document \(number) has no version") }
                return nil
            }
            // The record's ERMS restriction is what other tools read: the current version must carry it (as
            // dx:restriction, on the same ground), or the document would be imported more open than it was sent.
            checkStandardRestrictions(of: record, against: versions[versions.count - 1].version.metadata.restriction,
                                      what: "record \(number)", holder: "its current version")
            guard errorCount == before else { return nil }
            noteEdits(record, known: Self.recordElements, what: "record \(number)", title: versions[versions.count - 1].version.metadata.title)
            var document = TransferDocument(number: number, registeredAt: registeredAt, registeredBy: registeredBy,
                                            externalReference: externalReference, versions: versions, disposal: disposal)
            document.holds = holds
            return (document, info.line)
        }

        /// The `dx:hold` children of a case's or document's description: active legal holds, each as placed.
        mutating func holds(_ info: MarkupElement) -> [CarriedHold] {
            info.children("hold", namespace: extensionNamespace).compactMap { element in
                let before = errorCount
                let reason = required(element, "reason", maxLength: LegalHold.maxReasonLength)
                let placedAt = time(element, "placedAt"), placedBy = required(element, "placedBy", maxLength: 200)
                guard errorCount == before, let reason, let placedAt, let placedBy else { return nil }
                return CarriedHold(reason: reason, placedAt: placedAt, placedBy: placedBy)
            }
        }

        /// dx:disposal: when, by whom and under which rule a document was disposed of.
        mutating func disposal(_ element: MarkupElement) -> DocumentDisposal? {
            let before = errorCount
            let at = time(element, "at"), dueAt = time(element, "dueAt")
            let by = required(element, "by", maxLength: 200), mandate = required(element, "mandate", maxLength: 500)
            let type = element.attribute("ruleRecordType")
            let ruleRecordType = type.flatMap(RecordType.init(rawValue:))
            if let type, ruleRecordType == nil { error(element, "attribute ruleRecordType: unknown record type '\(type)'") }
            let years = element.attribute("years").flatMap { Int($0) }.flatMap { (0...RetentionRule.maximumYears).contains($0) ? $0 : nil }
            if years == nil {
                error(element, "attribute years must be a whole number from 0 to \(RetentionRule.maximumYears), not '\(element.attribute("years") ?? "")'")
            }
            let schedule = text(element, "schedule", maxLength: 200)
            let ruleClass = text(element, "ruleClass", maxLength: 64)
            if let ruleClass {
                do { _ = try RecordRules.classification(ruleClass, field: "ruleClass") } catch {
                    self.error(element, "attribute ruleClass: \(error.message)")
                }
            }
            guard errorCount == before, let at, let dueAt, let by, let mandate, let years else { return nil }
            return DocumentDisposal(at: at, by: by, dueAt: dueAt, ruleRecordType: ruleRecordType, ruleClass: ruleClass, years: years,
                                    mandate: mandate, schedule: schedule)
        }

        /// A version; `disposed`: of a disposed document, whose content is described without a file.
        mutating func version(_ element: MarkupElement, disposed: Bool) -> TransferVersion? {
            let before = errorCount
            // Bounded like case and document numbers: a later change adds 1, which must not overflow.
            let n = element.attribute("n").flatMap { Int($0) }.flatMap { (1...DocumentVersion.maxNumber).contains($0) ? $0 : nil }
            if n == nil {
                error(element, "attribute n must be a version number from 1 to \(DocumentVersion.maxNumber), not '\(element.attribute("n") ?? "")'")
            }
            let change = element.attribute("change").flatMap(ChangeKind.init(rawValue:))
            if change == nil { error(element, "unknown change '\(element.attribute("change") ?? "")'") }
            let status = element.attribute("status").flatMap(DocumentStatus.init(rawValue:))
            if status == nil { error(element, "unknown status '\(element.attribute("status") ?? "")'") }
            let author = required(element, "author", maxLength: 200)
            let createdAt = time(element, "createdAt")
            let comment = text(element, "comment")
            guard let m = element.child("metadata", namespace: extensionNamespace) else {
                error(element, "version has no dx:metadata")
                return nil
            }
            let title = required(m, "title")
            let publicTitle = text(m, "publicTitle")
            let sender = text(m, "sender", maxLength: 500)
            let recipient = text(m, "recipient", maxLength: 500)
            let classification = text(m, "classification", maxLength: 64)
            if let classification {
                do { _ = try RecordRules.classification(classification, field: "classification") } catch {
                    self.error(m, "attribute classification: \(error.message)")
                }
            }
            let recordType = m.attribute("recordType").flatMap(RecordType.init(rawValue:))
            if recordType == nil { error(m, "unknown recordType '\(m.attribute("recordType") ?? "")'") }
            let direction = m.attribute("direction").flatMap(Direction.init(rawValue:))
            if direction == nil { error(m, "unknown direction '\(m.attribute("direction") ?? "")'") }
            var documentDate: CalendarDate?
            if let text = m.attribute("documentDate") {
                documentDate = parse(m) { () throws(DiariumError) in try CalendarDate(parsing: text, field: "documentDate") }
            }
            let restriction = element.child("restriction", namespace: extensionNamespace).flatMap { self.restriction($0) }
            var content: ContentReference?
            var path: String?
            if let c = element.child("content", namespace: extensionNamespace) {
                if disposed {
                    if c.attribute("path") != nil { error(c, "a disposed document's content has no file: attribute path must be absent") }
                } else {
                    path = required(c, "path")
                }
                let sha256 = required(c, "sha256")
                let size = c.attribute("size").flatMap { Int64($0) }
                if size == nil || size! < 0 { error(c, "attribute size must be a byte count") }
                if let sha256, !(sha256.utf8.count == 64 && sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })) {
                    error(c, "attribute sha256 must be 64 lower-case hex digits")
                }
                // The rules a registration applies: the media type is served as Content-Type, the name in
                // Content-Disposition and as a file name on export.
                var mediaType = required(c, "mediaType", maxLength: 200)
                if let type = mediaType {
                    do { _ = try MediaTypes.check(type) } catch {
                        self.error(c, "attribute mediaType: \(error.message)")
                        mediaType = nil
                    }
                }
                var name = required(c, "originalName", maxLength: 255)
                if let given = name {
                    // The registration rule: one file's name, no bidirectional control disguising its type.
                    do { name = try TextRules.fileName(given) } catch {
                        self.error(c, "attribute originalName: \(error.message)")
                        name = nil
                    }
                }
                if let sha256, let size, let mediaType, let name {
                    content = ContentReference(sha256: sha256, size: size, mediaType: mediaType, originalName: name)
                }
            }
            guard errorCount == before, let n, let change, let status, let author, let createdAt, let title,
                  let recordType, let direction
            else { return nil }
            // The rules that made the version must still hold; kept as they leave the text (trimmed, NFC), as every
            // stored text is: a later correction compares with it, and the log records what changed.
            let metadata: DocumentMetadata
            do {
                metadata = try RecordRules.validated(DocumentMetadata(
                    title: title, publicTitle: publicTitle, recordType: recordType, direction: direction,
                    documentDate: documentDate, sender: sender, recipient: recipient, classification: classification, restriction: restriction))
            } catch {
                self.error(m, (error.field.map { "attribute \($0): " } ?? "") + error.message)
                return nil
            }
            return TransferVersion(
                version: DocumentVersion(number: n, change: change, author: author, createdAt: createdAt,
                                         comment: comment, status: status, metadata: metadata, content: content),
                contentPath: path)
        }
    }
}

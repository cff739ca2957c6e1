/// The rules of the register that do not depend on storage. Use cases call these before changing anything.
public enum RecordRules {
    /// A document's status as it is registered. One that came in is final at once: it became an official document
    /// (allmän handling) when it arrived (TF 2 kap. 9 §), inkommen, and what arrived is what it is, public unless a
    /// restriction says otherwise. One drawn up here (outgoing, internal) is a draft until it is finalised.
    public static func registeredStatus(_ direction: Direction) -> DocumentStatus {
        direction == .incoming ? .final : .draft
    }

    public static func checkCaseAcceptsDocuments(_ number: CaseNumber, status: CaseStatus) throws(DiariumError) {
        guard status == .open else {
            throw DiariumError(.invalidState, "case \(number) is closed and takes no new documents", field: "case")
        }
    }

    /// A closed case's documents take no new content: what it held when it closed is what its retention period runs
    /// over. (Finalising a draft, or correcting metadata, changes no content, and stays allowed.)
    public static func checkCaseAcceptsContent(_ number: CaseNumber, status: CaseStatus) throws(DiariumError) {
        guard status == .open else {
            throw DiariumError(.invalidState, "case \(number) is closed: its documents take no new content (reopen the case first)")
        }
    }

    public static func checkCanClose(_ record: CaseRecord) throws(DiariumError) {
        guard record.status == .open else {
            throw DiariumError(.invalidState, "case \(record.number) is already closed")
        }
    }

    public static func checkCanReopen(_ record: CaseRecord) throws(DiariumError) {
        guard record.status == .closed else {
            throw DiariumError(.invalidState, "case \(record.number) is open")
        }
    }

    /// A case's title is withheld from the public only on a stated ground (offentlighetsprincipen): a public title
    /// stands in for a restricted title, so it needs the restriction, and a case's restriction hides its title only
    /// (content and parties belong to its documents, which are restricted one by one).
    public static func checkCaseTitleRestriction(publicTitle: String?, restriction: AccessRestriction?) throws(DiariumError) {
        if let restriction, restriction.hides != [.title] {
            throw .invalid("restriction.hides", "a case's restriction hides its title only; restrict content and parties on its documents")
        }
        if publicTitle != nil && restriction == nil {
            throw DiariumError(.missingLegalReference,
                               "a public title stands in for a restricted title: give the restriction's kind and the legal reference it rests on",
                               field: "restriction")
        }
    }

    /// A document's public title stands in for a title its restriction hides, so it needs one that does (as a case's
    /// needs its restriction). Without it the public title would be shown nowhere, and kept unseen by whoever lifts
    /// the restriction later.
    public static func checkDocumentPublicTitle(_ metadata: DocumentMetadata) throws(DiariumError) {
        guard metadata.publicTitle != nil else { return }
        guard let restriction = metadata.restriction else {
            throw DiariumError(.missingLegalReference,
                               "a public title stands in for a restricted title: give the restriction's kind and the legal reference it rests on",
                               field: "restriction")
        }
        guard restriction.hides(.title) else {
            throw .invalid("publicTitle", "a public title stands in for a hidden title, and the restriction hides "
                           + restriction.hides.map(\.rawValue).joined(separator: " and ") + " only")
        }
    }

    /// A disposed document keeps its registration as a record of what was destroyed: it takes no changes.
    public static func checkNotDisposed(_ document: DocumentRecord) throws(DiariumError) {
        if let disposal = document.disposal {
            throw DiariumError(.invalidState, "document \(document.number) was disposed of (\(disposal.summary)) and takes no changes")
        }
    }

    /// The content of a disposed document is gone, whichever version is asked for.
    public static func checkContentKept(_ document: DocumentRecord) throws(DiariumError) {
        if let disposal = document.disposal {
            throw DiariumError(.gone, "the content of \(document.number) was disposed of (\(disposal.summary))", field: "number")
        }
    }

    /// A final document is fixed (upprättad/fastställd): its content can no longer change.
    public static func checkAcceptsContent(_ document: DocumentRecord) throws(DiariumError) {
        try checkNotDisposed(document)
        switch document.status {
        case .draft: return
        case .final where document.current.content == nil && document.current.metadata.direction == .incoming:
            // A letter that came on paper, registered before it was scanned, takes its scan: no content of it was
            // ever fixed electronically. Once, since it then has content.
            return
        case .final: throw DiariumError(.invalidState, "document \(document.number) is final and takes no new content")
        case .archived: throw DiariumError(.invalidState, "document \(document.number) is archived and read-only")
        }
    }

    /// Metadata of a final document can still be corrected (versioned and audited); an archived one is read-only but
    /// for its access restriction (`fields`: what the correction changes): access is restricted only while a ground
    /// holds (offentlighetsprincipen), so a restriction whose ground has ended is lifted, or extended on a new ground,
    /// whatever the document's state, and the public title that stood in for a hidden title goes with it (or is
    /// corrected or cleared alone).
    public static func checkAcceptsMetadata(_ document: DocumentRecord, changing fields: [String]) throws(DiariumError) {
        try checkNotDisposed(document)
        if document.status == .archived && !fields.allSatisfy({ $0 == "restriction" || $0 == "publicTitle" }) {
            throw DiariumError(.invalidState, "document \(document.number) is archived and read-only; only its access restriction "
                               + "(and the public title standing in for a hidden title) may still be reviewed")
        }
    }

    public static func checkTransition(_ document: DocumentRecord, to target: DocumentStatus) throws(DiariumError) {
        try checkNotDisposed(document)
        let allowed: Bool = switch (document.status, target) {
        case (.draft, .final), (.final, .archived): true
        default: false
        }
        guard allowed else {
            throw DiariumError(.invalidState, "document \(document.number) is \(document.status.rawValue) and cannot become \(target.rawValue)"
                               + (target == .archived && document.status == .draft ? " (finalise it first)" : ""))
        }
    }

    /// A classification code from the classification structure, e.g. `2.4` or `1.2.3`.
    public static func classification(_ text: String?, field: String = "class") throws(DiariumError) -> String? {
        guard let code = try TextRules.optionalLine(text, field: field, maxLength: 64) else { return nil }
        let valid = code.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) }
        }
        guard valid else {
            throw .invalid(field, "invalid classification code '\(code)': expected dotted parts such as 2.4 or 1.2.3")
        }
        return code
    }

    /// Validates and normalises metadata supplied by a user. `kept`: the metadata a correction starts from, whose
    /// values it leaves as they are are not checked again (they were when stored, perhaps under an earlier rule).
    public static func validated(_ metadata: DocumentMetadata, keeping kept: DocumentMetadata? = nil) throws(DiariumError) -> DocumentMetadata {
        var result = metadata
        // Swift compares text by canonical equivalence: a value kept as stored in NFD (before text was normalised)
        // equals its NFC form here, and is composed without being checked again.
        if metadata.title != kept?.title || kept == nil {
            result.title = try TextRules.line(metadata.title, field: "title")
        } else {
            result.title = TextRules.composed(metadata.title, maxLength: 1000)
        }
        func optional(_ value: String?, _ old: String??, _ field: String, _ maxLength: Int) throws(DiariumError) -> String? {
            if let old, value == old { return value.map { TextRules.composed($0, maxLength: maxLength) } }
            return try TextRules.optionalLine(value, field: field, maxLength: maxLength)
        }
        result.publicTitle = try optional(metadata.publicTitle, kept.map(\.publicTitle), "publicTitle", 1000)
        result.sender = try optional(metadata.sender, kept.map(\.sender), "sender", 500)
        result.recipient = try optional(metadata.recipient, kept.map(\.recipient), "recipient", 500)
        if metadata.classification != kept?.classification || kept == nil {
            result.classification = try classification(metadata.classification, field: "classification")
        }
        return result
    }
}

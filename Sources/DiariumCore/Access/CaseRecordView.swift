import Foundation

/// A case as an authenticated reader may see it. A case whose title is restricted (it may name the person the case
/// is about) shows those without clearance for its department the public title and the restriction's ground only,
/// and `redacted` says the title was left out, so clients can tell "hidden" from "empty".
public struct CaseRecordView: Codable, Hashable, Sendable {
    public enum Part: String, Codable, Hashable, Sendable { case title }

    public let number: CaseNumber
    public let title: String?
    public let publicTitle: String?
    public let restriction: AccessRestriction?
    public let classification: String?
    public let status: CaseStatus
    public let department: String?
    public let officer: String?
    public let openedAt: Date
    public let closedAt: Date?
    public let documentCount: Int
    public let redacted: [Part]

    public init(_ record: CaseRecord, clearance: Bool) {
        let hidesTitle = !clearance && record.titleIsRestricted
        number = record.number
        title = hidesTitle ? nil : record.title
        publicTitle = record.publicTitle
        restriction = record.restriction
        classification = record.classification
        status = record.status
        department = record.department
        officer = record.officer
        openedAt = record.openedAt
        closedAt = record.closedAt
        documentCount = record.documentCount
        redacted = hidesTitle ? [.title] : []
    }
}

/// An earlier description of a case as a reader may see it. A title withheld then, or by any later description
/// (a restriction added later covers the titles before it, and one lifted later does not open a title it protected),
/// is left out for readers without clearance, and `redacted` says so.
public struct CaseRevisionView: Codable, Hashable, Sendable {
    public let n: Int
    public let replacedAt: Date
    public let replacedBy: String
    public let title: String?
    public let publicTitle: String?
    public let restriction: AccessRestriction?
    public let classification: String?
    public let department: String?
    public let officer: String?
    public let redacted: [CaseRecordView.Part]

    init(_ revision: CaseRevision, hidesTitle: Bool) {
        n = revision.n
        replacedAt = revision.replacedAt
        replacedBy = revision.replacedBy
        title = hidesTitle ? nil : revision.title
        publicTitle = revision.publicTitle
        restriction = revision.restriction
        classification = revision.classification
        department = revision.department
        officer = revision.officer
        redacted = hidesTitle ? [.title] : []
    }

    /// The revisions of a case whose description is now `current`, oldest first.
    public static func views(_ revisions: [CaseRevision], current: CaseRecord, clearance: Bool) -> [CaseRevisionView] {
        var laterRestricted = current.titleIsRestricted
        var views: [CaseRevisionView] = []
        for revision in revisions.sorted(by: { $0.n > $1.n }) {
            laterRestricted = laterRestricted || revision.titleWasRestricted
            views.append(CaseRevisionView(revision, hidesTitle: !clearance && laterRestricted))
        }
        return views.reversed()
    }
}

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

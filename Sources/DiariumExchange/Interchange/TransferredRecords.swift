import DiariumCore
import Foundation

/// What an interchange transfers, independent of how it is written (ERMS in an E-ARK package, or EDIFACT): the case
/// (for a case transfer) and each document with the metadata the receiver registers, and its content file.
public struct TransferredRecords: Hashable, Sendable {
    public let messageType: InterchangeMessageType
    public let caseFile: TransferredCase?
    public let documents: [TransferredDocument]

    /// A case transfer carries its case, a document delivery does not need one; both carry at least one document,
    /// each number once.
    public init(messageType: InterchangeMessageType, caseFile: TransferredCase?, documents: [TransferredDocument]) throws(DiariumError) {
        switch messageType {
        case .receipt: throw .invalid("messageType", "a receipt transfers no records")
        case .caseTransfer:
            guard caseFile != nil else { throw .invalid("case", "a case transfer must name its case") }
        case .documentDelivery: break
        }
        guard !documents.isEmpty else { throw .invalid("documents", "an interchange must transfer at least one document") }
        var seen: Set<DocumentNumber> = []
        for document in documents where !seen.insert(document.number).inserted {
            throw .invalid("documents", "document \(document.number) is transferred twice")
        }
        if let caseFile, let stray = documents.first(where: { $0.number.caseNumber != caseFile.number }) {
            throw .invalid("documents", "document \(stray.number) does not belong to case \(caseFile.number)")
        }
        self.messageType = messageType
        self.caseFile = caseFile
        self.documents = documents
    }
}

public struct TransferredCase: Hashable, Sendable {
    /// The sender's number, kept by the receiver as an external reference.
    public let number: CaseNumber
    public let title: String
    public let publicTitle: String?
    /// The ground the title is withheld on (hides the title only).
    public let restriction: AccessRestriction?
    public let classification: String?

    public init(number: CaseNumber, title: String, publicTitle: String? = nil, restriction: AccessRestriction? = nil,
                classification: String? = nil) {
        self.number = number
        self.title = title
        self.publicTitle = publicTitle
        self.restriction = restriction
        self.classification = classification
    }
}

public struct TransferredDocument: Hashable, Sendable {
    /// The sender's number.
    public let number: DocumentNumber
    public let metadata: DocumentMetadata
    public let status: DocumentStatus
    /// When the sender registered it (second precision in EDIFACT).
    public let registeredAt: Date
    /// nil for a document without electronic content (a paper original).
    public let file: TransferredFile?

    public init(number: DocumentNumber, metadata: DocumentMetadata, status: DocumentStatus, registeredAt: Date, file: TransferredFile?) {
        self.number = number
        self.metadata = metadata
        self.status = status
        self.registeredAt = registeredAt
        self.file = file
    }
}

/// A content file shipped beside the description (in the package).
public struct TransferredFile: Hashable, Sendable {
    /// Its path inside the package, e.g. `representations/rep1/data/KS-2026-14-3.pdf`.
    public let path: String
    /// The name the sender registered it under.
    public let originalName: String
    public let mediaType: String
    public let size: Int64
    /// Lower-case hex SHA-256.
    public let sha256: String

    public init(path: String, originalName: String, mediaType: String, size: Int64, sha256: String) {
        self.path = path
        self.originalName = originalName
        self.mediaType = mediaType
        self.size = size
        self.sha256 = sha256
    }
}

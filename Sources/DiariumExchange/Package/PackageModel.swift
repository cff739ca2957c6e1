import DiariumCore
import Foundation

/// The records an information package carries: plain values, no storage. Export builds one from the catalog,
/// import turns one back into catalog rows; an interchange is the same plus an envelope.
public struct RecordsTransfer: Sendable, Equatable {
    public var series: [Series]
    public var cases: [TransferCase]
    /// Series whose department the package does not name (written before packages carried it): an import that
    /// creates one gives it the department named like the series, and says so.
    public var seriesWithoutDepartment: Set<SeriesCode>
    /// The classification structure the records are classified under (ERMS `classificationSchema`), with its rules.
    public var classification: [ClassificationClass]

    public init(series: [Series], cases: [TransferCase], seriesWithoutDepartment: Set<SeriesCode> = [],
                classification: [ClassificationClass] = []) {
        self.series = series
        self.cases = cases
        self.seriesWithoutDepartment = seriesWithoutDepartment
        self.classification = classification
    }

    public var documentCount: Int { cases.reduce(0) { $0 + $1.documents.count } }
    public var versionCount: Int { cases.reduce(0) { $0 + $1.documents.reduce(0) { $0 + $1.versions.count } } }
}

/// A case (ERMS `aggregation` of type `caseFile`) with the documents the package holds of it.
public struct TransferCase: Sendable, Equatable {
    public var record: CaseRecord
    public var openedBy: String
    /// Who closed it, when it is closed and that is known.
    public var closedBy: String?
    /// The number this case has in the system it came from, when it was renumbered on import.
    public var externalReference: String?
    public var documents: [TransferDocument]
    /// The retention rules of the case's series (its default and per record type), written as ERMS `disposal`.
    public var retention: [RetentionRule]
    /// What each correction of the case replaced, oldest first (exports of all versions).
    public var revisions: [CaseRevision]
    /// The legal holds active on the case when it was exported (archive packages; not interchanges).
    public var holds: [CarriedHold] = []
    /// The organisation whose records the case is (its arkivbildare), when it came from another's records by an import
    /// (`dx:case/@archivalCreator`); nil: the store's own, which the package names as ARCHIVIST.
    public var archivalCreator: Organisation?

    public init(record: CaseRecord, openedBy: String, externalReference: String? = nil, documents: [TransferDocument],
                retention: [RetentionRule] = [], revisions: [CaseRevision] = []) {
        self.record = record
        self.openedBy = openedBy
        self.externalReference = externalReference
        self.documents = documents
        self.retention = retention
        self.revisions = revisions
    }
}

/// A document (ERMS `record`) with the versions the package holds, oldest first.
public struct TransferDocument: Sendable, Equatable {
    public var number: DocumentNumber
    public var registeredAt: Date
    public var registeredBy: String
    public var externalReference: String?
    public var versions: [TransferVersion]
    /// Set when the document was disposed of: its registration and versions travel, its content does not (each
    /// version's content is described, with no file).
    public var disposal: DocumentDisposal?
    /// The legal holds active on the document itself when it was exported (its case's are the case's).
    public var holds: [CarriedHold] = []

    public init(number: DocumentNumber, registeredAt: Date, registeredBy: String, externalReference: String? = nil,
                versions: [TransferVersion], disposal: DocumentDisposal? = nil) {
        self.number = number
        self.registeredAt = registeredAt
        self.registeredBy = registeredBy
        self.externalReference = externalReference
        self.versions = versions
        self.disposal = disposal
    }

    public var current: TransferVersion { versions[versions.count - 1] }
}

/// An active legal hold as a package carries it (`dx:hold`): an import places it again, so that what it keeps is not
/// disposed of in the receiving store either. Its number is the store's own, and not carried.
public struct CarriedHold: Sendable, Equatable {
    public var reason: String
    public var placedAt: Date
    public var placedBy: String

    public init(reason: String, placedAt: Date, placedBy: String) {
        self.reason = reason
        self.placedAt = placedAt
        self.placedBy = placedBy
    }
}

/// One version and, when it has content, where the content is in the package.
public struct TransferVersion: Sendable, Equatable {
    public var version: DocumentVersion
    /// Package-relative path of the content file (`representations/rep1/data/…`).
    public var contentPath: String?

    public init(version: DocumentVersion, contentPath: String?) {
        self.version = version
        self.contentPath = contentPath
    }
}

/// A file of a package as METS lists it.
public struct PackageFile: Sendable, Equatable {
    public enum Use: String, Sendable {
        /// The package's ERMS, its PREMIS, its documentation and schema files.
        case descriptive, preservation, documentation, schemas
        /// The representation's content, which its METS lists.
        case representation
        /// The representation's METS (what the root METS lists of it) and its PREMIS (which that METS lists).
        case representationMETS, representationPreservation
    }

    /// Relative to the package root, "/"-separated.
    public var path: String
    public var use: Use
    public var size: Int64
    /// Lower-case hex SHA-256.
    public var sha256: String
    public var mediaType: String
    public var created: Date

    public init(path: String, use: Use, size: Int64, sha256: String, mediaType: String, created: Date) {
        self.path = path
        self.use = use
        self.size = size
        self.sha256 = sha256
        self.mediaType = mediaType
        self.created = created
    }
}

/// A provenance event for PREMIS (from the audit log, plus the export itself).
public struct ProvenanceEvent: Sendable, Equatable {
    public var identifier: String
    /// PREMIS event type (controlled vocabulary words: creation, modification, ingestion, …).
    public var type: String
    public var at: Date
    public var agent: String
    public var detail: String
    /// Package paths of the files the event concerns.
    public var files: [String]

    public init(identifier: String, type: String, at: Date, agent: String, detail: String, files: [String]) {
        self.identifier = identifier
        self.type = type
        self.at = at
        self.agent = agent
        self.detail = detail
        self.files = files
    }
}

/// An agent a package's METS header names: the archival creator (`ARCHIVIST`), the submitter (`SUBMITTER`), the
/// archive (`PRESERVATION`), the software (`CREATOR`, type `SOFTWARE`), … `role` and `type` are METS's `ROLE` and
/// `TYPE`, or `OTHERROLE` and `OTHERTYPE` where those are `OTHER`.
public struct PackageAgent: Sendable, Equatable, Codable {
    public var role: String
    public var type: String
    public var name: String
    /// Its `IDENTIFICATIONCODE` note (`ORG:2120001355`).
    public var code: String?

    public init(role: String, type: String, name: String, code: String? = nil) {
        self.role = role
        self.type = type
        self.name = name
        self.code = code
    }

    /// "Exempelby kommun (ORG:2120001355)".
    public var description: String { name + (code.map { " (\($0))" } ?? "") }
}

/// Who made the package and for whom: METS `metsHdr` agents and alternative ids (E-ARK SIP 2.1 SIP5–SIP31, as FGS
/// Paketstruktur names them), ERMS `control`, PREMIS agents and BagIt's `Source-Organization`.
public struct PackageCreator: Sendable, Equatable {
    public var software: String
    public var softwareVersion: String
    /// The archival creator (arkivbildare) whose records these are: METS `ARCHIVIST`, ERMS maintenance agency.
    public var archivalCreator: Organisation?
    /// Who submits the package (METS `OTHER`/`SUBMITTER`/`ORGANIZATION`, SIP15); nil: the archival creator.
    public var submitter: Organisation?
    /// The archive that preserves it (METS `PRESERVATION`), when the export names one.
    public var preservation: Organisation?
    /// The person exporting: the submitting organisation's contact (METS `OTHER`/`SUBMITTER`/`INDIVIDUAL`), the
    /// submitter itself when no organisation is named.
    public var person: String
    /// The submission agreement (leveransöverenskommelse) the package is delivered under (METS `altRecordID`).
    public var submissionAgreement: String?
    /// Where in the archive's reference code structure the package goes (METS `altRecordID` `REFERENCECODE`).
    public var referenceCode: String?

    public init(software: String = "Diarium", softwareVersion: String = "0.1.0", archivalCreator: Organisation?,
                submitter: Organisation? = nil, preservation: Organisation? = nil, person: String,
                submissionAgreement: String? = nil, referenceCode: String? = nil) {
        self.software = software
        self.softwareVersion = softwareVersion
        self.archivalCreator = archivalCreator
        self.submitter = submitter
        self.preservation = preservation
        self.person = person
        self.submissionAgreement = submissionAgreement
        self.referenceCode = referenceCode
    }

    /// The organisation submitting the package: the one named, else the archival creator.
    public var submittingOrganisation: Organisation? { submitter ?? archivalCreator }

    /// The organisation a field that names one gives (ERMS maintenance event, BagIt `Source-Organization`): the
    /// archival creator's, else the submitter's; nil when the package names none.
    public var organisationName: String? { archivalCreator?.name ?? submitter?.name }
}

/// A problem found in a package: where (file and line, or element) and what.
public struct PackageDiagnostic: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var severity: Severity
    public var file: String
    /// 0 when unknown.
    public var line: Int
    public var element: String?
    public var message: String

    public init(_ severity: Severity = .error, file: String, line: Int = 0, element: String? = nil, message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.element = element
        self.message = message
    }

    /// A streamed metadata document is read no further past this many problems: a hostile one could otherwise
    /// make one for each of millions of elements, and the first thousand say what is wrong.
    public static let maxPerDocument = 1000

    /// Throws, stopping a streamed read, when `count` problems are past `maxPerDocument`.
    static func stopReading(_ file: String, after count: Int) throws(DiariumError) {
        guard count > maxPerDocument else { return }
        throw DiariumError.invalid("package", "more than \(maxPerDocument) problems in \(file): read no further")
    }

    public var description: String {
        var where_ = file
        if line > 0 { where_ += ":\(line)" }
        if let element { where_ += " <\(element)>" }
        return "\(where_): \(severity == .warning ? "warning: " : "")\(message)"
    }
}

/// Time as XML Schema `dateTime` (UTC, milliseconds).
enum XMLTime {
    static func format(_ date: Date) -> String { Timestamp.format(date) }

    /// Our own format, or any `xs:dateTime` with seconds (fractions and zone optional) from another tool.
    static func parse(_ text: String) -> Date? { Timestamp.parseDateTime(text) }
}

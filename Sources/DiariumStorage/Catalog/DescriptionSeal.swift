import Crypto
import DiariumCore
import Foundation
import GRDB

/// A keyed digest of a version's or a case description's stored values (or a legal hold's reason, time and archivist),
/// written into the audit event that made it.
///
/// The log says in the clear only what anyone reading it may see (types, statuses, digests, restriction grounds);
/// titles, parties and classifications stay out of it. Without the seal, rewriting them in every version of a
/// document (or in a case's row, which corrections replace) would leave nothing for `verify` to compare. With it, a
/// rewrite must also change the event, which breaks the hash chain. The digest is keyed with a secret kept in the
/// catalog, so that a reader of the log cannot confirm a guessed title against it (a bare SHA-256 of "Ansökan om
/// bistånd – Eva Ek" could be).
enum DescriptionSeal {
    /// `store_info` key of the store's seal key (32 random bytes, hex), made by migration v30.
    static let keyInfo = "description_seal_key"

    /// The version columns a seal covers, in `insertVersion`'s order: everything but the row's place.
    static let versionColumns = [
        "change", "author", "created_at", "comment", "status", "title", "public_title", "record_type", "direction",
        "document_date", "sender", "recipient", "class_code", "restriction_kind", "restriction_legal",
        "restriction_until", "restriction_hides", "blob_sha256", "content_size", "media_type", "original_name",
    ]

    /// A case description's columns, the same in `cases` and `case_revisions`.
    static let caseColumns = [
        "title", "public_title", "class_code", "department", "officer", "restriction_kind", "restriction_legal", "restriction_until",
    ]

    /// A legal hold's columns as placed, and as released: the reasons stay out of the log (they may say what the
    /// records are wanted for), so without a seal a reason could be rewritten unseen.
    static let holdPlacedColumns = ["reason", "placed_at", "placed_by"]
    static let holdReleasedColumns = ["release_reason", "released_at", "released_by"]

    static func newKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { BlobStore.hex($0) }
    }

    static func key(hex: String) -> SymmetricKey? {
        let bytes = Array(hex.utf8)
        guard bytes.count == 64 else { return nil }
        var data = Data(capacity: 32)
        var index = 0
        while index < 64 {
            guard let byte = UInt8(String(decoding: bytes[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            data.append(byte)
            index += 2
        }
        return SymmetricKey(data: data)
    }

    /// The seal of `values`, as stored: each tagged with its SQLite type and its length, so that no two lists of
    /// values read alike (NULL is not "", 12 is not "12"). 128 bits of HMAC-SHA256, in hex.
    static func seal(_ values: [DatabaseValue], key: SymmetricKey) -> String {
        var message = Data()
        for value in values {
            switch value.storage {
            case .null: message.append(0x4E)   // N
            case .int64(let n): append(0x49, Data(String(n).utf8), to: &message)
            case .double(let x): append(0x44, Data(String(x).utf8), to: &message)
            case .string(let text): append(0x53, Data(text.utf8), to: &message)
            case .blob(let bytes): append(0x42, bytes, to: &message)
            }
        }
        let code = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return BlobStore.hex(Data(code).prefix(16))
    }

    private static func append(_ tag: UInt8, _ bytes: Data, to message: inout Data) {
        message.append(tag)
        message.append(contentsOf: Array("\(bytes.count):".utf8))
        message.append(bytes)
    }

    /// What a seal is of, ahead of the values: the kind, the object's number and the version (none for a case), so
    /// that the same description in two cases, or two versions, seals differently (one seal tells nothing of another).
    static func subject(_ kind: String, _ object: String, _ version: Int?) -> [DatabaseValue] {
        [kind.databaseValue, object.databaseValue, version?.databaseValue ?? .null]
    }

    static func versionValues(_ v: DocumentVersion) -> [DatabaseValue] {
        let m = v.metadata
        let hides = m.restriction.map { $0.hides.map(\.rawValue).joined(separator: ",") }
        let values: [(any DatabaseValueConvertible)?] = [
            v.change.rawValue, v.author, Timestamp.format(v.createdAt), v.comment,
            v.status.rawValue, m.title, m.publicTitle, m.recordType.rawValue, m.direction.rawValue,
            m.documentDate?.description, m.sender, m.recipient, m.classification,
            m.restriction?.kind.rawValue, m.restriction?.legalReference, m.restriction?.until?.description, hides,
            v.content?.sha256, v.content?.size, v.content?.mediaType, v.content?.originalName,
        ]
        return values.map { $0?.databaseValue ?? .null }
    }

    static func caseValues(_ record: CaseRecord) -> [DatabaseValue] {
        let values: [(any DatabaseValueConvertible)?] = [
            record.title, record.publicTitle, record.classification, record.department, record.officer,
            record.restriction?.kind.rawValue, record.restriction?.legalReference, record.restriction?.until?.description,
        ]
        return values.map { $0?.databaseValue ?? .null }
    }
}

extension CatalogAccess {
    /// The store's seal key; nil in a store not yet upgraded (opened read-only), whose events then carry no seal.
    func sealKey() throws -> SymmetricKey? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM store_info WHERE key = ?"), arguments: [DescriptionSeal.keyInfo])
            .flatMap(DescriptionSeal.key(hex:))
    }

    /// The seal of version `version.number` of document `number` as `insertVersion` stores it, for the event that
    /// records it (`seal` in its details).
    public func seal(of version: DocumentVersion, of number: DocumentNumber) throws -> String? {
        try sealKey().map { key in
            DescriptionSeal.seal(DescriptionSeal.subject("version", number.description, version.number) + DescriptionSeal.versionValues(version), key: key)
        }
    }

    /// The seal of legal hold `id` as stored, placed or released, for the `hold.place` or `hold.release` event.
    public func seal(ofHold id: Int64, released: Bool) throws -> String? {
        guard let key = try sealKey() else { return nil }
        let columns = released ? DescriptionSeal.holdReleasedColumns : DescriptionSeal.holdPlacedColumns
        guard let hold = try legalHold(id: id),
              let row = try Row.fetchOne(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM legal_holds WHERE id = ?", arguments: [id])
        else { throw Self.corrupt("legal_holds") }
        let values = (0..<row.count).map { row[$0] as DatabaseValue }
        return DescriptionSeal.seal(DescriptionSeal.subject(released ? "hold release" : "hold", hold.number, Int(id)) + values, key: key)
    }

    /// The seal of a case's description as `insertCase` and `updateCase` store it.
    public func seal(of record: CaseRecord) throws -> String? {
        try sealKey().map { key in
            DescriptionSeal.seal(DescriptionSeal.subject("case", record.number.description, nil) + DescriptionSeal.caseValues(record), key: key)
        }
    }
}

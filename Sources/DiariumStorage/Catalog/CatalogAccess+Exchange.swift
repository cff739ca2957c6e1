import Crypto
import DiariumCore
import Foundation
import GRDB

/// A party's secrets, for the transport and the inbox only: never part of `Party`, never printed or logged.
public struct PartyCredentials: Sendable {
    /// The token we present to the party's inbox.
    public let outboundToken: String?
    /// SHA-256 (hex) of the token the party presents to us.
    public let inboundTokenSHA256: String?

    /// Whether `presented` is the party's inbound token. Compares digests in constant time, so the time taken
    /// says nothing about how much of a guess was right.
    public func accepts(_ presented: String) -> Bool {
        guard let expected = inboundTokenSHA256 else { return false }
        let actual = TokenDigest.sha256Hex(presented)
        var difference: UInt8 = 0
        for (a, b) in zip(actual.utf8, expected.utf8) { difference |= a ^ b }
        return difference == 0 && actual.utf8.count == expected.utf8.count
    }
}

public enum TokenDigest {
    public static func sha256Hex(_ token: String) -> String {
        BlobStore.hex(SHA256.hash(data: Data(token.utf8)))
    }
}

extension CatalogAccess {
    // MARK: Parties

    public func insertParty(_ party: Party, outboundToken: String?, inboundTokenSHA256: String?) throws {
        try db.execute(sql: """
            INSERT INTO parties(party_id, name, url, outbound_token, inbound_token_sha256, receiving_series, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [party.id.rawValue, party.name, party.url, outboundToken, inboundTokenSHA256,
                             party.receivingSeries?.rawValue, Timestamp.format(party.createdAt), Timestamp.format(party.updatedAt)])
    }

    /// Rewrites a party's row (its id and creation stay).
    public func updateParty(_ party: Party, outboundToken: String?, inboundTokenSHA256: String?) throws {
        try db.execute(sql: """
            UPDATE parties SET name = ?, url = ?, outbound_token = ?, inbound_token_sha256 = ?, receiving_series = ?, updated_at = ?
            WHERE party_id = ?
            """, arguments: [party.name, party.url, outboundToken, inboundTokenSHA256, party.receivingSeries?.rawValue,
                             Timestamp.format(party.updatedAt), party.id.rawValue])
    }

    public func party(_ id: PartyID) throws -> Party? {
        try Row.fetchOne(db, sql: "SELECT * FROM parties WHERE party_id = ?", arguments: [id.rawValue]).map(Self.party)
    }

    public func parties() throws -> [Party] {
        try Row.fetchAll(db, sql: "SELECT * FROM parties ORDER BY party_id").map(Self.party)
    }

    public func partyCredentials(_ id: PartyID) throws -> PartyCredentials? {
        try Row.fetchOne(db, sql: "SELECT outbound_token, inbound_token_sha256 FROM parties WHERE party_id = ?", arguments: [id.rawValue])
            .map { PartyCredentials(outboundToken: try $0.optionalValue(at: 0), inboundTokenSHA256: try $0.optionalValue(at: 1)) }
    }

    static func party(_ row: Row) throws -> Party {
        guard let id = PartyID(rawValue: try row.value("party_id")) else { throw corrupt("party_id") }
        let series = try (try row.value("receiving_series") as String?).map { text throws -> SeriesCode in
            guard let code = SeriesCode(rawValue: text) else { throw corrupt("receiving_series") }
            return code
        }
        return Party(id: id, name: try row.value("name"), url: try row.value("url"), receivingSeries: series,
                     hasOutboundToken: try row.value("outbound_token") as String? != nil,
                     hasInboundToken: try row.value("inbound_token_sha256") as String? != nil,
                     createdAt: try date(row, "created_at"), updatedAt: try date(row, "updated_at"))
    }

    // MARK: Interchanges

    /// Inserts an interchange; fails with a constraint error when its (direction, sender, control reference) exists.
    public func insertInterchange(_ record: InterchangeRecord) throws {
        try db.execute(sql: """
            INSERT INTO interchanges(direction, sender_party, recipient_party, peer_party, control_ref, message_type, status,
                                     refs, payload_sha256, payload_size, receipt_xml, attempts, last_error, created_at, updated_at,
                                     next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                record.direction.rawValue, record.sender.rawValue, record.recipient.rawValue, record.peer.rawValue,
                record.controlReference.rawValue, record.messageType.rawValue, record.status.rawValue,
                record.references.map(\.rawValue).joined(separator: " "), record.payloadSHA256, record.payloadSize,
                record.receipt, record.attempts, record.lastError, Timestamp.format(record.createdAt),
                Timestamp.format(record.updatedAt), Self.nextAttempt(record),
            ])
        try insertLinks(interchangeID: db.lastInsertedRowID, record.links)
    }

    /// Writes the mutable part of a tracked interchange (status, receipt, links, attempts, last error, updated time,
    /// next attempt).
    public func updateInterchange(_ record: InterchangeRecord) throws {
        guard let id = try interchangeID(direction: record.direction, sender: record.sender, controlReference: record.controlReference) else {
            throw DiariumError.notFound("interchange", "\(record.direction.rawValue) \(record.sender)/\(record.controlReference)")
        }
        try db.execute(sql: """
            UPDATE interchanges SET status = ?, receipt_xml = ?, attempts = ?, last_error = ?, updated_at = ?, withdrawn_at = ?,
                                    next_attempt_at = ?
            WHERE id = ?
            """, arguments: [record.status.rawValue, record.receipt, record.attempts, record.lastError,
                             Timestamp.format(record.updatedAt), record.withdrawnAt.map(Timestamp.format), Self.nextAttempt(record), id])
        try db.execute(sql: "DELETE FROM interchange_links WHERE interchange_id = ?", arguments: [id])
        try insertLinks(interchangeID: id, record.links)
    }

    /// An outbound interchange still to be delivered, as SQL (`InterchangeRecord.awaitsDelivery`).
    static let awaitsDelivery = "direction = 'out' AND status IN ('queued', 'delivered') AND withdrawn_at IS NULL"

    /// An answered, withdrawn or written interchange has no next attempt, whatever the record says: one rule for every
    /// path that ends a delivery.
    private static func nextAttempt(_ record: InterchangeRecord) -> String? {
        record.awaitsDelivery ? record.nextAttemptAt.map(Timestamp.format) : nil
    }

    /// Outbound interchanges whose next attempt is due at `now`, the longest waiting first, with their parties.
    public func interchangesDue(at now: Date, limit: Int) throws -> [(reference: ControlReference, party: PartyID)] {
        try Row.fetchAll(db, sql: """
            SELECT control_ref, recipient_party FROM interchanges WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?
                AND \(Self.awaitsDelivery)
            ORDER BY next_attempt_at, id LIMIT ?
            """, arguments: [Timestamp.format(now), limit]).map { row in
                guard let reference = ControlReference(rawValue: try row.value(at: 0)) else { throw Self.corrupt("control_ref") }
                guard let party = PartyID(rawValue: try row.value(at: 1)) else { throw Self.corrupt("recipient_party") }
                return (reference, party)
            }
    }

    /// Moves an outbound interchange's next attempt to `until` only while it is still due at `now`: false when it is
    /// not (another process took it, a person's resend moved it, it was answered or withdrawn). One statement, so two
    /// processes never both take it.
    public func leaseInterchange(controlReference: ControlReference, ifDueAt now: Date, until: Date) throws -> Bool {
        try db.execute(sql: """
            UPDATE interchanges SET next_attempt_at = ?
            WHERE control_ref = ? AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? AND \(Self.awaitsDelivery)
            """, arguments: [Timestamp.format(until), controlReference.rawValue, Timestamp.format(now)])
        return db.changesCount > 0
    }

    /// Makes every interchange still to be delivered to a party due at `at` (its address or token was corrected: the
    /// next attempt need not wait for the schedule, and one left to a person is tried again); a last error that only
    /// said why it was not tried goes with it.
    public func resumeRedelivery(party: PartyID, at: Date) throws -> Int {
        try db.execute(sql: """
            UPDATE interchanges SET next_attempt_at = ?,
                last_error = CASE WHEN last_error LIKE 'not tried again by itself:%' THEN NULL ELSE last_error END
            WHERE recipient_party = ? AND \(Self.awaitsDelivery)
            """, arguments: [Timestamp.format(at), party.rawValue])
        return db.changesCount
    }

    /// Leaves every interchange still to be delivered to a party to a person, with the reason (its address was
    /// cleared: nothing can be attempted).
    public func stopRedelivery(party: PartyID, reason: String) throws -> Int {
        try db.execute(sql: """
            UPDATE interchanges SET next_attempt_at = NULL, last_error = ?
            WHERE recipient_party = ? AND \(Self.awaitsDelivery)
            """, arguments: [reason, party.rawValue])
        return db.changesCount
    }

    /// Outbound interchanges still to be delivered: those a server will try again (`scheduled`), and those it will
    /// not (`stalled`: it gave up, or the failure was not one that time mends), which wait for a person.
    public func outboxWaiting() throws -> (scheduled: Int, stalled: Int) {
        let row = try Row.fetchOne(db, sql: """
            SELECT count(next_attempt_at), count(*) - count(next_attempt_at) FROM interchanges
            WHERE \(Self.awaitsDelivery)
            """)!
        return (try row.value(at: 0), try row.value(at: 1))
    }

    private func insertLinks(interchangeID: Int64, _ links: [NumberLink]) throws {
        for (offset, link) in links.enumerated() {
            try db.execute(sql: """
                INSERT INTO interchange_links(interchange_id, position, sender_number, receiver_number) VALUES (?, ?, ?, ?)
                """, arguments: [interchangeID, offset + 1, link.senderNumber, link.receiverNumber])
        }
    }

    private func interchangeID(direction: InterchangeDirection, sender: PartyID, controlReference: ControlReference) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM interchanges WHERE direction = ? AND sender_party = ? AND control_ref = ?",
                           arguments: [direction.rawValue, sender.rawValue, controlReference.rawValue])
    }

    public func interchange(direction: InterchangeDirection, sender: PartyID, controlReference: ControlReference) throws -> InterchangeRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM interchanges WHERE direction = ? AND sender_party = ? AND control_ref = ?",
                         arguments: [direction.rawValue, sender.rawValue, controlReference.rawValue])
            .map(interchangeRecord)
    }

    /// Interchanges newest first. `concerning`: only those of these series, as `ExchangeService.series(of:)` tells
    /// (sent: a document it carries is in one; received: a document it registered is, or for one that registered
    /// nothing, its party's receiving series), filtered here so that a page is full when there are enough. `after`:
    /// only those listed after this one.
    public func interchanges(direction: InterchangeDirection?, peer: PartyID?, concerning series: Set<SeriesCode>? = nil,
                             after: InterchangeKey? = nil, limit: Int) throws -> [InterchangeRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let direction { conditions.append("direction = ?"); arguments += [direction.rawValue] }
        if let peer { conditions.append("peer_party = ?"); arguments += [peer.rawValue] }
        if let after {
            guard let row = try Row.fetchOne(db, sql: "SELECT created_at, id FROM interchanges WHERE direction = ? AND sender_party = ? AND control_ref = ?",
                                             arguments: [after.direction.rawValue, after.sender.rawValue, after.controlReference.rawValue]) else {
                throw DiariumError.notFound("interchange", after.description, field: "after")
            }
            let createdAt: String = row[0], id: Int64 = row[1]
            conditions.append("(created_at < ? OR (created_at = ? AND id < ?))")
            arguments += [createdAt, createdAt, id]
        }
        if let series {
            let codes = series.map(\.rawValue).sorted()
            guard !codes.isEmpty else { return [] }
            let list = Array(repeating: "?", count: codes.count).joined(separator: ", ")
            conditions.append("""
                ((direction = 'out' AND EXISTS (SELECT 1 FROM interchange_documents k JOIN documents d ON d.id = k.document_id
                                                JOIN cases c ON c.id = d.case_id
                                                WHERE k.interchange_id = interchanges.id AND c.series IN (\(list))))
                 OR (direction = 'in' AND EXISTS (SELECT 1 FROM interchange_links l WHERE l.interchange_id = interchanges.id
                                                  AND \(Self.seriesOfNumber("l.receiver_number")) IN (\(list))))
                 OR (direction = 'in' AND NOT EXISTS (SELECT 1 FROM interchange_links l WHERE l.interchange_id = interchanges.id)
                     AND EXISTS (SELECT 1 FROM parties p WHERE p.party_id = interchanges.sender_party AND p.receiving_series IN (\(list)))))
                """)
            arguments += StatementArguments(codes + codes + codes)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [limit]
        return try Row.fetchAll(db, sql: "SELECT * FROM interchanges \(filter) ORDER BY created_at DESC, id DESC LIMIT ?",
                                arguments: arguments).map(interchangeRecord)
    }

    /// The series code of a case or document number held in `column` ("KS 2026/14-3" → "KS"); "" for text without a
    /// space, which no series matches.
    static func seriesOfNumber(_ column: String) -> String { "substr(\(column), 1, instr(\(column), ' ') - 1)" }

    /// The number a record `sender` numbered `senderNumber` was registered under here, by the last interchange from it
    /// that was accepted and linked the number; nil when none did. A follow-up delivery from the same case continues
    /// in the case its earlier deliveries opened, and a document delivered again is known as such.
    public func receivedNumber(from sender: PartyID, senderNumber: String) throws -> (number: String, controlReference: String)? {
        try Row.fetchOne(try db.cachedStatement(sql: """
            SELECT l.receiver_number, i.control_ref FROM interchange_links l JOIN interchanges i ON i.id = l.interchange_id
            WHERE l.sender_number = ? AND i.direction = 'in' AND i.sender_party = ? AND i.status = 'accepted'
            ORDER BY i.id DESC LIMIT 1
            """), arguments: [senderNumber, sender.rawValue]).map { (try $0.value(at: 0), try $0.value(at: 1)) }
    }

    /// The interchanges a document of ours went out in (carried, or numbered by the receipt) or came in by, oldest
    /// first, each with the number it has on the other side when a receipt gave one (theirs for one sent, the
    /// sender's for one received). By our number on our side only: a partner's own numbers may look like ours.
    public func interchanges(documentID: Int64, number: String) throws -> [(record: InterchangeRecord, otherNumber: String?)] {
        try Row.fetchAll(db, sql: """
            SELECT i.*, (SELECT l.receiver_number FROM interchange_links l WHERE l.interchange_id = i.id AND l.sender_number = ?) AS other
            FROM interchanges i
            -- By the indexes on the document and the number, not a look at every outbound interchange (the + keeps
            -- SQLite from choosing the direction's index instead).
            WHERE i.id IN (SELECT interchange_id FROM interchange_documents WHERE document_id = ?
                           UNION SELECT interchange_id FROM interchange_links WHERE sender_number = ?)
              AND +i.direction = 'out'
            UNION ALL
            SELECT i.*, l.sender_number AS other
            FROM interchange_links l JOIN interchanges i ON i.id = l.interchange_id
            WHERE i.direction = 'in' AND l.receiver_number = ?
            ORDER BY created_at, id
            """, arguments: [number, documentID, number, number]).map { row in
            (try interchangeRecord(row), row["other"] as String?)
        }
    }

    /// Parties and interchanges the audit log does not record (`party.add`, `interchange.record`): a cut or edited
    /// log, or rows written behind Diarium's back. The objects are spelled as `ExchangeService` audits them.
    public func exchangeAuditUnrecorded() throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT 'party:' || p.party_id FROM parties p
            WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'party.add' AND a.object = 'party:' || p.party_id)
            UNION ALL
            SELECT 'interchange:' || i.direction || ':' || i.sender_party || '/' || i.control_ref FROM interchanges i
            WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'interchange.record'
                              AND a.object = 'interchange:' || i.direction || ':' || i.sender_party || '/' || i.control_ref)
            """)
    }

    /// Outbound interchanges against their events: a withdrawal the log never recorded (or the reverse), or documents
    /// an interchange carries other than those its `interchange.record` event lists, would let disposal take content
    /// an outbox package still holds. Interchanges queued before the events listed their documents have no list.
    public func exchangeAuditMismatches() throws -> [String] {
        try lines("""
            WITH o AS (
                SELECT i.id, i.withdrawn_at, 'interchange:out:' || i.sender_party || '/' || i.control_ref AS object
                FROM interchanges i WHERE i.direction = 'out'
            ), carried AS (
                SELECT k.interchange_id, group_concat(number, ' ') AS numbers FROM (
                    SELECT k.interchange_id, c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal AS number
                    FROM interchange_documents k JOIN documents d ON d.id = k.document_id JOIN cases c ON c.id = d.case_id
                    ORDER BY k.interchange_id, number) k
                GROUP BY k.interchange_id
            ), logged AS (
                SELECT a.object, (SELECT group_concat(value, ' ') FROM (SELECT value FROM json_each(a.details, '$.documents')
                                                                         ORDER BY value)) AS numbers
                FROM audit_events a WHERE a.action = 'interchange.record' AND json_valid(a.details)
                  AND json_type(a.details, '$.documents') = 'array'
            )
            SELECT o.object || ' is ' || CASE WHEN o.withdrawn_at IS NULL THEN 'not withdrawn, but the log withdrew it'
                                               ELSE 'withdrawn, but the log never withdrew it' END
            FROM o WHERE (o.withdrawn_at IS NOT NULL) != EXISTS (
                SELECT 1 FROM audit_events a WHERE a.action = 'interchange.status' AND a.object = o.object AND json_valid(a.details)
                  AND json_extract(a.details, '$.withdrawn') = 1)
            UNION ALL
            SELECT o.object || ' carries ' || coalesce(carried.numbers, 'no document') || ', but the log says ' || logged.numbers
            FROM o JOIN logged ON logged.object = o.object LEFT JOIN carried ON carried.interchange_id = o.id
            WHERE carried.numbers IS NOT logged.numbers
            UNION ALL
            -- The party id partners know this store by is the one the log set (its party.add with "self"; set once).
            -- The party events by the object index's `party:` range.
            SELECT 'this store is ' || coalesce('party ' || s.id, 'no party') || ' in exchanges, but the log says '
                   || coalesce('party ' || substr(l.object, 7), 'none was set')
            FROM (SELECT (SELECT value FROM store_info WHERE key = 'exchange_party_id') AS id) s
            LEFT JOIN (SELECT object FROM audit_events
                       WHERE object >= 'party:' AND object < 'party;' AND action = 'party.add' AND json_valid(details)
                         AND json_extract(details, '$.self') = 1
                       ORDER BY seq DESC LIMIT 1) l ON 1
            WHERE s.id IS NOT substr(l.object, 7)
            """)
    }

    private func interchangeRecord(_ row: Row) throws -> InterchangeRecord {
        guard let sender = PartyID(rawValue: try row.value("sender_party")) else { throw Self.corrupt("sender_party") }
        guard let recipient = PartyID(rawValue: try row.value("recipient_party")) else { throw Self.corrupt("recipient_party") }
        guard let reference = ControlReference(rawValue: try row.value("control_ref")) else { throw Self.corrupt("control_ref") }
        let references = try (try row.value("refs") as String).split(separator: " ").map { text in
            guard let value = ControlReference(rawValue: String(text)) else { throw Self.corrupt("refs") }
            return value
        }
        let links = try Row.fetchAll(db, sql: """
            SELECT sender_number, receiver_number FROM interchange_links WHERE interchange_id = ? ORDER BY position
            """, arguments: [try row.value("id") as Int64])
        return InterchangeRecord(
            direction: try Self.enumValue(row, "direction"), sender: sender, recipient: recipient, controlReference: reference,
            messageType: try Self.enumValue(row, "message_type"), status: try Self.enumValue(row, "status"),
            references: references, payloadSHA256: try row.value("payload_sha256"), payloadSize: try row.value("payload_size"),
            receipt: try row.value("receipt_xml"), links: try links.map { NumberLink(senderNumber: try $0.value(at: 0), receiverNumber: try $0.value(at: 1)) },
            attempts: try row.value("attempts"), lastError: try row.value("last_error"), createdAt: try Self.date(row, "created_at"),
            updatedAt: try Self.date(row, "updated_at"),
            withdrawnAt: try (row.value("withdrawn_at") as String?).map { _ in try Self.date(row, "withdrawn_at") },
            nextAttemptAt: try (row.value("next_attempt_at") as String?).map { _ in try Self.date(row, "next_attempt_at") })
    }

    /// Whether an outbound interchange with this control reference (from this store: we are the sender of every one)
    /// waits in the outbox for its receipt: queued or delivered, not withdrawn. False when there is none.
    public func outboundInterchangePending(controlReference: ControlReference) throws -> Bool {
        try outboundInterchangeWaits(controlReference: controlReference) == true
    }

    /// The same, nil when the catalog has no interchange with this control reference at all.
    public func outboundInterchangeWaits(controlReference: ControlReference) throws -> Bool? {
        try Row.fetchOne(db, sql: """
            SELECT \(Self.awaitsDelivery) FROM interchanges WHERE control_ref = ? AND direction = 'out'
            """, arguments: [controlReference.rawValue]).map { row in try row.value(at: 0) as Bool }
    }

    /// The series of the documents an outbound interchange carries (none for one queued before they were recorded).
    public func outboundInterchangeSeries(controlReference: ControlReference) throws -> Set<SeriesCode> {
        Set(try String.fetchAll(db, sql: """
            SELECT DISTINCT c.series FROM interchanges i JOIN interchange_documents k ON k.interchange_id = i.id
            JOIN documents d ON d.id = k.document_id JOIN cases c ON c.id = d.case_id
            WHERE i.direction = 'out' AND i.control_ref = ?
            """, arguments: [controlReference.rawValue]).compactMap(SeriesCode.init(rawValue:)))
    }

    /// The documents an outbound interchange's package carries, by number (none for one queued before they were
    /// recorded).
    public func outboundInterchangeDocuments(sender: PartyID, controlReference: ControlReference) throws -> [DocumentNumber] {
        try Row.fetchAll(db, sql: """
            SELECT c.series, c.year, c.serial, d.ordinal FROM interchanges i JOIN interchange_documents k ON k.interchange_id = i.id
            JOIN documents d ON d.id = k.document_id JOIN cases c ON c.id = d.case_id
            WHERE i.direction = 'out' AND i.sender_party = ? AND i.control_ref = ?
            """, arguments: [sender.rawValue, controlReference.rawValue]).map { row in
            guard let series = SeriesCode(rawValue: row[0]) else { throw Self.corrupt("series") }
            return DocumentNumber(caseNumber: CaseNumber(series: series, year: row[1], serial: row[2]), ordinal: row[3])
        }
    }

    /// Records which documents an outbound interchange's package carries (in the transaction that queues it).
    public func recordInterchangeDocuments(direction: InterchangeDirection, sender: PartyID, controlReference: ControlReference,
                                           documents: [DocumentNumber]) throws {
        guard let id = try interchangeID(direction: direction, sender: sender, controlReference: controlReference) else {
            throw DiariumError.notFound("interchange", "\(direction.rawValue) \(sender)/\(controlReference)")
        }
        for number in documents {
            guard let stored = try document(number) else { throw DiariumError.notFound("document", number.description) }
            try db.execute(sql: "INSERT OR IGNORE INTO interchange_documents(interchange_id, document_id) VALUES (?, ?)",
                           arguments: [id, stored.id])
        }
    }
}

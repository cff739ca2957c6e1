import DiariumCore
import GRDB

/// The catalog's own consistency, for `verify`: what the rows say against what the audit log recorded when they were
/// written. Each check is one SQL query that returns text only, so a damaged value (text where an integer belongs)
/// is reported, never decoded into a Swift type that would trap.
extension CatalogAccess {
    /// The triggers that make versions and audit events immutable, and keep documents in their cases and cases in
    /// their series (which the search index's scope assumes). A missing one means someone could, and maybe did,
    /// rewrite history in place.
    static let immutabilityTriggers = ["versions_no_update", "versions_no_delete", "audit_no_update", "audit_no_delete",
                                       "case_revisions_no_update", "case_revisions_no_delete", "disposals_no_update",
                                       "disposals_no_delete", "legal_holds_release_only", "legal_holds_no_delete",
                                       "cases_series_fixed", "documents_case_fixed"]

    /// The actions that make a version, as SQL: one list for every check that pairs versions with their events.
    static var versionActions: String {
        AuditAction.allCases.filter(\.createsVersion).map { "'\($0.rawValue)'" }.joined(separator: ",")
    }

    /// A check's findings, one line each. A line SQL could not build (a NULL from a damaged event) is still a
    /// finding, not an error that would lose the whole report.
    func lines(_ sql: String) throws -> [String] {
        try Optional<String>.fetchAll(db, sql: sql).map { $0 ?? "a row whose audit event is damaged beyond describing (see the audit chain)" }
    }

    public func missingImmutabilityTriggers() throws -> [String] {
        let present = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        return Self.immutabilityTriggers.filter { !present.contains($0) }
    }

    /// Values whose storage class is not the one their column declares (SQLite stores what it is given: a CHECK
    /// compares text with an integer and lets it pass), in every table Diarium defines, found from the schema
    /// itself so a new column is covered without a list to keep. Checked before anything decodes them: reading one
    /// would be an error for every command that touches the row. One scan per table; a line names the row by its
    /// key and the column, never the value.
    public func catalogTypeProblems() throws -> [String] {
        let columns = try Row.fetchAll(db, sql: """
            SELECT m.name AS tbl, p.name AS col, upper(p.type) AS type, p."notnull" AS required, p.pk AS pk
            FROM sqlite_master m JOIN pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE 'search\\_fts%' ESCAPE '\\' AND m.name NOT LIKE 'case\\_fts%' ESCAPE '\\'
              AND m.name != 'grdb_migrations'
            ORDER BY m.name, p.cid
            """)
        var tables: [(name: String, checks: [String], key: [String])] = []
        for row in columns {
            let table: String = try row.value("tbl"), column: String = try row.value("col")
            let type: String = try row.value("type"), required: Bool = try row.value("required"), pk: Int = try row.value("pk")
            if tables.last?.name != table { tables.append((table, [], [])) }
            if pk > 0 { tables[tables.count - 1].key.append(column) }
            let storage = type.contains("INT") ? "integer" : type == "TEXT" ? "text" : nil
            guard let storage else { continue }
            let allowed = required || pk > 0 ? "('\(storage)')" : "('\(storage)', 'null')"
            let name = Self.quoted(column)
            tables[tables.count - 1].checks.append(
                "CASE WHEN typeof(\(name)) NOT IN \(allowed) THEN ' \(column) holds ' || typeof(\(name)) || ';' ELSE '' END")
        }
        var problems: [String] = []
        for table in tables where !table.checks.isEmpty {
            let key = table.key.isEmpty ? "rowid" : table.key.map { "quote(\(Self.quoted($0)))" }.joined(separator: " || '/' || ")
            let found = table.checks.joined(separator: " || ")
            problems += try String.fetchAll(db, sql: """
                SELECT '\(table.name) ' || row_key || ':' || rtrim(problems, ';')
                FROM (SELECT \(key) AS row_key, \(found) AS problems FROM \(Self.quoted(table.name))) WHERE problems != ''
                """)
        }
        // Sequence numbers far beyond any real log would overflow the next one.
        problems += try String.fetchAll(db, sql: "SELECT 'audit_events ' || seq || ': seq out of range' FROM audit_events WHERE typeof(seq) = 'integer' AND seq > 9000000000000000000")
        return problems
    }

    private static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Documents whose head row disagrees with their versions: the current version is not the last one, or the
    /// document's status is not its current version's. (Numbers may have gaps: a package of final versions only
    /// imports those; a version deleted here leaves its audit event dangling, which the cross-check reports.)
    public func documentHeadProblems() throws -> [String] {
        try lines("""
            WITH h AS (
                SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal AS object, d.current_version, d.status,
                       (SELECT max(n) FROM versions v WHERE v.document_id = d.id) AS last,
                       (SELECT v.status FROM versions v WHERE v.document_id = d.id AND v.n = d.current_version) AS head_status
                FROM documents d JOIN cases c ON c.id = d.case_id
            )
            SELECT object || ': current version ' || current_version || ', but its last version is ' || coalesce(last, 'none')
            FROM h WHERE current_version IS NOT last

            UNION ALL
            SELECT object || ': status ' || status || ', but its current version says ' || coalesce(head_status, 'nothing')
            FROM h WHERE current_version IS last AND status IS NOT head_status
            """)
    }

    /// Every version against the audit event that recorded it: the status, type, content digest and size, and the
    /// restriction the event names must be the row's; a correction must change exactly the fields its event lists, a
    /// new content version no metadata, a status change nothing but the status. (Titles and parties are not in the
    /// log, which anyone may read; the event's keyed seal covers them, `sealMismatches`.)
    /// Audit events whose details are not JSON: no build writes one, and the checks below read details with SQLite's
    /// JSON functions, which stop the query at the first such row ("malformed JSON") instead of answering.
    public func malformedAuditDetails() throws -> [(sequence: Int64, action: String, object: String)] {
        try Row.fetchAll(db, sql: "SELECT seq, action, object FROM audit_events WHERE NOT json_valid(details) ORDER BY seq")
            .map { (try $0.value(at: 0), try $0.value(at: 1), try $0.value(at: 2)) }
    }

    public func versionAuditMismatches() throws -> [String] {
        try lines("""
            WITH v AS (
                SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal AS object, v.*,
                       lag(v.status) OVER w AS p_status, lag(v.title) OVER w AS p_title, lag(v.public_title) OVER w AS p_public_title,
                       lag(v.record_type) OVER w AS p_record_type, lag(v.direction) OVER w AS p_direction,
                       lag(v.document_date) OVER w AS p_document_date, lag(v.sender) OVER w AS p_sender,
                       lag(v.recipient) OVER w AS p_recipient, lag(v.class_code) OVER w AS p_class_code,
                       lag(v.restriction_kind) OVER w AS p_restriction_kind, lag(v.restriction_legal) OVER w AS p_restriction_legal,
                       lag(v.restriction_until) OVER w AS p_restriction_until, lag(v.restriction_hides) OVER w AS p_restriction_hides,
                       lag(v.blob_sha256) OVER w AS p_blob_sha256, lag(v.content_size) OVER w AS p_content_size,
                       lag(v.media_type) OVER w AS p_media_type, lag(v.original_name) OVER w AS p_original_name
                FROM versions v JOIN documents d ON d.id = v.document_id JOIN cases c ON c.id = d.case_id
                WINDOW w AS (PARTITION BY v.document_id ORDER BY v.n)
            ), e AS (
                SELECT v.*, a.action, a.details,
                       rtrim(CASE WHEN title IS NOT p_title THEN 'title,' ELSE '' END
                          || CASE WHEN public_title IS NOT p_public_title THEN 'publicTitle,' ELSE '' END
                          || CASE WHEN record_type IS NOT p_record_type THEN 'recordType,' ELSE '' END
                          || CASE WHEN direction IS NOT p_direction THEN 'direction,' ELSE '' END
                          || CASE WHEN document_date IS NOT p_document_date THEN 'documentDate,' ELSE '' END
                          || CASE WHEN sender IS NOT p_sender THEN 'sender,' ELSE '' END
                          || CASE WHEN recipient IS NOT p_recipient THEN 'recipient,' ELSE '' END
                          || CASE WHEN class_code IS NOT p_class_code THEN 'classification,' ELSE '' END
                          || CASE WHEN restriction_kind IS NOT p_restriction_kind OR restriction_legal IS NOT p_restriction_legal
                                   OR restriction_until IS NOT p_restriction_until OR restriction_hides IS NOT p_restriction_hides
                                  THEN 'restriction,' ELSE '' END, ',') AS changed,
                       (blob_sha256 IS NOT p_blob_sha256 OR content_size IS NOT p_content_size OR media_type IS NOT p_media_type
                        OR original_name IS NOT p_original_name) AS content_changed
                FROM v JOIN audit_events a ON a.seq = (
                    SELECT min(b.seq) FROM audit_events b WHERE b.object = v.object AND b.version = v.n
                    AND b.action IN (\(Self.versionActions)))
                WHERE json_valid(a.details)
            )
            SELECT object || ' version ' || n || ': ' || substr(
                   CASE WHEN json_type(details, '$.status') IS NOT NULL AND json_extract(details, '$.status') IS NOT status
                        THEN '; status is ' || status || ', the log says ' || coalesce(json_extract(details, '$.status'), 'null') ELSE '' END
                || CASE WHEN json_type(details, '$.type') IS NOT NULL AND json_extract(details, '$.type') IS NOT record_type
                        THEN '; type is ' || record_type || ', the log says ' || coalesce(json_extract(details, '$.type'), 'null') ELSE '' END
                || CASE WHEN json_type(details, '$.status') IS NOT NULL AND json_extract(details, '$.sha256') IS NOT blob_sha256
                        THEN '; content is ' || coalesce(blob_sha256, 'none') || ', the log says ' || coalesce(json_extract(details, '$.sha256'), 'none') ELSE '' END
                || CASE WHEN json_type(details, '$.size') IS NOT NULL AND json_extract(details, '$.size') IS NOT content_size
                        THEN '; size is ' || coalesce(content_size, 'none') || ', the log says ' || coalesce(json_extract(details, '$.size'), 'null') ELSE '' END
                || CASE WHEN json_extract(details, '$.restriction') IS NOT restriction_kind OR json_extract(details, '$.legal') IS NOT restriction_legal
                        THEN '; restriction is ' || coalesce(restriction_kind || ' (' || restriction_legal || ')', 'none') || ', the log says '
                             || coalesce(json_extract(details, '$.restriction') || ' (' || json_extract(details, '$.legal') || ')', 'none') ELSE '' END
                || CASE WHEN json_type(details, '$.until') IS NOT NULL AND nullif(json_extract(details, '$.until'), '') IS NOT restriction_until
                        THEN '; the restriction ends ' || coalesce(restriction_until, 'never') || ', the log says '
                             || coalesce(nullif(json_extract(details, '$.until'), ''), 'never') ELSE '' END
                || CASE WHEN action = 'document.update'
                         AND changed IS NOT (SELECT group_concat(value, ',') FROM json_each(details, '$.fields'))
                        THEN '; changed ' || CASE changed WHEN '' THEN 'nothing' ELSE changed END || ', the log says '
                             || coalesce((SELECT group_concat(value, ',') FROM json_each(details, '$.fields')), 'nothing') ELSE '' END
                || CASE WHEN action IN ('document.update', 'document.version', 'document.finalise', 'document.archive')
                         AND (n = 1 OR status IS NOT p_status AND action IN ('document.update', 'document.version'))
                        THEN '; a ' || action || ' cannot make this version' ELSE '' END
                || CASE WHEN action IN ('document.version', 'document.finalise', 'document.archive') AND n > 1 AND changed != ''
                        THEN '; metadata changed (' || changed || ') in a ' || action ELSE '' END
                || CASE WHEN action IN ('document.update', 'document.finalise', 'document.archive') AND n > 1 AND content_changed
                        THEN '; content changed in a ' || action ELSE '' END, 3)
            FROM e
            WHERE (json_type(details, '$.status') IS NOT NULL AND json_extract(details, '$.status') IS NOT status)
               OR (json_type(details, '$.type') IS NOT NULL AND json_extract(details, '$.type') IS NOT record_type)
               OR (json_type(details, '$.status') IS NOT NULL AND json_extract(details, '$.sha256') IS NOT blob_sha256)
               OR (json_type(details, '$.size') IS NOT NULL AND json_extract(details, '$.size') IS NOT content_size)
               OR json_extract(details, '$.restriction') IS NOT restriction_kind OR json_extract(details, '$.legal') IS NOT restriction_legal
               OR (json_type(details, '$.until') IS NOT NULL AND nullif(json_extract(details, '$.until'), '') IS NOT restriction_until)
               OR (action = 'document.update' AND changed IS NOT (SELECT group_concat(value, ',') FROM json_each(details, '$.fields')))
               OR (action IN ('document.update', 'document.version', 'document.finalise', 'document.archive')
                   AND (n = 1 OR status IS NOT p_status AND action IN ('document.update', 'document.version')))
               OR (action IN ('document.version', 'document.finalise', 'document.archive') AND n > 1 AND changed != '')
               OR (action IN ('document.update', 'document.finalise', 'document.archive') AND n > 1 AND content_changed)
            """)
    }

    /// Cases whose state the log contradicts: open although the log closed them, or restricted on another ground than
    /// the log's latest word on it (opening, import or correction): a removed restriction would show the title to all.
    /// Likewise each kept earlier description (`case_revisions`): its restriction governs what its history shows.
    public func caseAuditMismatches() throws -> [String] {
        try lines("""
            SELECT 'case ' || c.series || ' ' || c.year || '/' || c.serial || ' is open, but the log closed it (event ' || a.seq || ')'
            FROM cases c
            -- The log's last word on whether the case is open: a closing (or an import of it closed), or opening it again.
            JOIN audit_events a ON a.seq = (
                SELECT max(e.seq) FROM audit_events e
                WHERE e.object = c.series || ' ' || c.year || '/' || c.serial
                  AND (e.action IN ('case.close', 'case.reopen')
                       OR (e.action = 'case.import' AND CASE WHEN json_valid(e.details) THEN json_extract(e.details, '$.status') END = 'closed')))
            WHERE c.status = 'open' AND a.action != 'case.reopen'
            UNION ALL
            SELECT 'case ' || c.series || ' ' || c.year || '/' || c.serial || ': its title restriction ('
                   || coalesce(c.restriction_kind || ' under ' || c.restriction_legal || coalesce(' until ' || c.restriction_until, ''), 'none')
                   || ', public title ' || CASE WHEN c.public_title IS NULL THEN 'none' ELSE 'set' END || ') is not what the log '
                   || CASE a.action WHEN 'case.open' THEN 'opened' WHEN 'case.import' THEN 'imported' ELSE 'last corrected' END || ' it with ('
                   || coalesce(json_extract(a.details, '$.restriction') || ' under ' || json_extract(a.details, '$.legal')
                               || coalesce(' until ' || json_extract(a.details, '$.until'), ''), 'none')
                   || CASE json_type(a.details, '$.publicTitle') WHEN 'true' THEN ', public title set' WHEN 'false' THEN ', public title none' ELSE '' END
                   || ') (event ' || a.seq || ')'
            FROM cases c
            -- The case's latest description event: its opening or import, or its last correction.
            JOIN audit_events a ON a.seq = (SELECT max(e.seq) FROM audit_events e
                                            WHERE e.object = c.series || ' ' || c.year || '/' || c.serial
                                              AND e.action IN ('case.open', 'case.import', 'case.update'))
            WHERE json_valid(a.details)
              AND (json_extract(a.details, '$.restriction') IS NOT c.restriction_kind
                   OR json_extract(a.details, '$.legal') IS NOT c.restriction_legal
                   -- Events since 2026-12 say whether there is a public title, and until when a restriction holds
                   -- (earlier ones do not: not compared).
                   OR (json_type(a.details, '$.publicTitle') IN ('true', 'false')
                       AND (json_extract(a.details, '$.until') IS NOT c.restriction_until
                            OR json_extract(a.details, '$.publicTitle') IS NOT (c.public_title IS NOT NULL))))
            UNION ALL
            -- Every correction kept what it replaced: as many earlier descriptions as the log has corrections (here, or
            -- brought in by the case's import). Corrections logged before revisions were kept name none: not counted.
            SELECT 'case ' || number || ' has ' || revisions || ' earlier descriptions, but the log corrected it ' || corrections || ' times'
            FROM (SELECT c.series || ' ' || c.year || '/' || c.serial AS number,
                         (SELECT count(*) FROM case_revisions r WHERE r.case_id = c.id) AS revisions,
                         (SELECT count(*) FROM audit_events e WHERE e.object = c.series || ' ' || c.year || '/' || c.serial
                                                                AND e.action = 'case.update' AND json_valid(e.details)
                                                                AND json_type(e.details, '$.revision') = 'integer')
                         + (SELECT coalesce(sum(json_extract(e.details, '$.revisions')), 0) FROM audit_events e
                            WHERE e.object = c.series || ' ' || c.year || '/' || c.serial AND e.action = 'case.import'
                              AND json_valid(e.details) AND json_type(e.details, '$.revisions') = 'integer') AS corrections
                  FROM cases c)
            WHERE revisions != corrections
            UNION ALL
            -- Each correction's kept description is the one it made: its time and author are the event's.
            SELECT 'case ' || e.object || ': correction ' || json_extract(e.details, '$.revision') || ' (event ' || e.seq
                   || ') has no earlier description kept with its time and author'
            FROM cases c JOIN audit_events e ON e.object = c.series || ' ' || c.year || '/' || c.serial
            WHERE e.action = 'case.update' AND json_valid(e.details) AND json_type(e.details, '$.revision') = 'integer'
              AND NOT EXISTS (SELECT 1 FROM case_revisions r
                              WHERE r.case_id = c.id AND r.n = json_extract(e.details, '$.revision')
                                AND r.replaced_at = e.at AND r.replaced_by = e.actor)
            UNION ALL
            -- Each kept description's title restriction is what the log said when that description was made: the event
            -- before its correction (the opening, the import, or the correction before). Revisions brought in by an
            -- import have no correction here and are held to the import's event below; events from before 2026-12 are not
            -- compared on a public title or an end date.
            SELECT 'case ' || u.object || ': the description correction ' || r.n || ' replaced has title restriction ('
                   || coalesce(r.restriction_kind || ' under ' || r.restriction_legal || coalesce(' until ' || r.restriction_until, ''), 'none')
                   || ', public title ' || CASE WHEN r.public_title IS NULL THEN 'none' ELSE 'set' END || '), but the log made it with ('
                   || coalesce(json_extract(p.details, '$.restriction') || ' under ' || json_extract(p.details, '$.legal')
                               || coalesce(' until ' || json_extract(p.details, '$.until'), ''), 'none')
                   || CASE json_type(p.details, '$.publicTitle') WHEN 'true' THEN ', public title set' WHEN 'false' THEN ', public title none' ELSE '' END
                   || ') (event ' || p.seq || ')'
            FROM case_revisions r JOIN cases c ON c.id = r.case_id
            JOIN audit_events u ON u.object = c.series || ' ' || c.year || '/' || c.serial AND u.action = 'case.update'
                                AND json_valid(u.details) AND json_type(u.details, '$.revision') = 'integer'
                                AND json_extract(u.details, '$.revision') = r.n
            -- The case's events before it, newest first (a case's events have no version: the index is searched backwards
            -- from the correction and stops at the first description event, not reading every case.read).
            JOIN audit_events p ON p.seq = (SELECT e.seq FROM audit_events e
                                            WHERE e.object = u.object AND e.version IS NULL AND e.seq < u.seq
                                              AND e.action IN ('case.open', 'case.import', 'case.update')
                                            ORDER BY e.seq DESC LIMIT 1)
            WHERE json_valid(p.details)
              AND (json_extract(p.details, '$.restriction') IS NOT r.restriction_kind
                   OR json_extract(p.details, '$.legal') IS NOT r.restriction_legal
                   OR (json_type(p.details, '$.publicTitle') IN ('true', 'false')
                       AND (json_extract(p.details, '$.until') IS NOT r.restriction_until
                            OR json_extract(p.details, '$.publicTitle') IS NOT (r.public_title IS NOT NULL))))
            UNION ALL
            -- Each earlier description an import brought in is the one its case.import event lists under `kept` (events
            -- since 2026-12; earlier ones give only the number): its time, author and title restriction, or it is missing.
            -- From the cases with kept descriptions to their events (the (object, version) index) and each listed
            -- description, read once as its own small object, to its row by the primary key: linear in what the log lists.
            SELECT 'case ' || l.object || ': the earlier description ' || coalesce(json_extract(l.kept, '$.n'), '?')
                   || ' its import brought in (event ' || l.seq || ') '
                   || CASE WHEN r.n IS NULL THEN 'is not in the catalog'
                           ELSE '(' || r.replaced_at || ' by ' || r.replaced_by || ', title restriction '
                                || coalesce(r.restriction_kind || ' under ' || r.restriction_legal
                                            || coalesce(' until ' || r.restriction_until, ''), 'none')
                                || ', public title ' || CASE WHEN r.public_title IS NULL THEN 'none' ELSE 'set' END
                                || ') is not the one the log lists' END
                   || ' (' || coalesce(json_extract(l.kept, '$.replacedAt'), '?') || ' by '
                   || coalesce(json_extract(l.kept, '$.replacedBy'), '?') || ', title restriction '
                   || coalesce(json_extract(l.kept, '$.restriction') || ' under ' || json_extract(l.kept, '$.legal')
                               || coalesce(' until ' || json_extract(l.kept, '$.until'), ''), 'none')
                   || ', public title ' || CASE json_extract(l.kept, '$.publicTitle') WHEN 1 THEN 'set' ELSE 'none' END || ')'
            FROM (SELECT c.id AS case_id, a.object, a.seq,
                         -- Each listed description on its own (an element that is no object reads as none).
                         CASE WHEN k.type = 'object' THEN k.value END AS kept
                  FROM (SELECT DISTINCT case_id FROM case_revisions) x
                  CROSS JOIN cases c ON c.id = x.case_id
                  CROSS JOIN audit_events a ON a.object = c.series || ' ' || c.year || '/' || c.serial AND a.version IS NULL
                                           AND a.action = 'case.import'
                  -- Damaged details are another check's finding: json_each must not fail on them.
                  CROSS JOIN json_each(CASE WHEN json_valid(a.details) AND json_type(a.details, '$.kept') = 'array' THEN a.details
                                            ELSE '{"kept":[]}' END, '$.kept') k) l
            LEFT JOIN case_revisions r ON r.case_id = l.case_id AND r.n = json_extract(l.kept, '$.n')
            WHERE r.n IS NULL
               OR json_extract(l.kept, '$.replacedAt') IS NOT r.replaced_at
               OR json_extract(l.kept, '$.replacedBy') IS NOT r.replaced_by
               OR json_extract(l.kept, '$.restriction') IS NOT r.restriction_kind
               OR json_extract(l.kept, '$.legal') IS NOT r.restriction_legal
               OR json_extract(l.kept, '$.until') IS NOT r.restriction_until
               OR json_extract(l.kept, '$.publicTitle') IS NOT (r.public_title IS NOT NULL)
            """)
    }

    /// Tokens whose digest is not the one their `token.create` event fingerprinted (events from before 2026-12 have
    /// no fingerprint and are not compared).
    public func tokenDigestMismatches() throws -> [String] {
        try Row.fetchAll(db, sql: """
            SELECT t.id, t.sha256, u.name, (
                       -- Text only, whatever a damaged event holds: a damaged value is a finding, not a failed verify.
                       SELECT CASE json_type(a.details, '$.fingerprint') WHEN 'text' THEN json_extract(a.details, '$.fingerprint')
                                                                          WHEN 'null' THEN 'null' ELSE json_type(a.details, '$.fingerprint') END
                       FROM audit_events a
                       WHERE a.action = 'token.create' AND a.object = 'user:' || u.name AND json_valid(a.details)
                         AND json_extract(a.details, '$.token') = t.id) AS logged
            FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id
            """).compactMap { row in
            let id: Int64 = try row.value(at: 0)
            guard let logged: String = try row.optionalValue(at: 3) else { return nil }
            let digest: String = try row.value(at: 1)
            guard TokenSecret.auditFingerprint(digest: digest) != logged else { return nil }
            let user: String = try row.value(at: 2)
            return "token \(id) of \(user) is not the token its token.create event recorded: its digest was replaced"
        }
    }

    /// The rows (`object`, `action`, `details`) of each object's last event among `actions` (SQL string literals), as the
    /// body of a CTE.
    private static func lastEvent(of actions: String) -> String {
        """
                SELECT a.object, a.action, a.details FROM audit_events a
                WHERE a.action IN (\(actions))
                  AND a.seq = (SELECT max(b.seq) FROM audit_events b WHERE b.object = a.object AND b.action IN (\(actions)))
                  AND json_valid(a.details)
        """
    }

    /// Accounts, tokens, series departments, retention rules, classes and their rules, and the store's organisation,
    /// against the last event that set them: a role, department, enabled flag, token, keeper of a series, rule or
    /// archival creator the log never recorded is a change made behind Diarium's back (a series' department decides
    /// whose clerks read its restricted documents; the organisation is named in every package as the records' creator).
    public func accessAuditMismatches() throws -> [String] {
        try lines("""
            WITH last_series AS (\(Self.lastEvent(of: "'series.add', 'series.update'"))
            ), last_user AS (\(Self.lastEvent(of: "'user.add', 'user.update'"))
            ), u AS (
                SELECT u.name, u.role, u.disabled_at, l.object AS logged, l.details,
                       (SELECT group_concat(department, ',') FROM (SELECT department FROM user_departments
                                                                    WHERE user_id = u.id ORDER BY department)) AS departments,
                       (SELECT group_concat(value, ',') FROM (SELECT value FROM json_each(l.details, '$.departments') ORDER BY value)) AS logged_departments
                FROM users u LEFT JOIN last_user l ON l.object = 'user:' || u.name
            ), last_rule AS (\(Self.lastEvent(of: "'retention.set', 'retention.remove'"))
            ), r AS (
                SELECT r.*, r.series || CASE r.record_type WHEN '' THEN '' ELSE '/' || r.record_type END AS object FROM retention_rules r
            ), last_class AS (\(Self.lastEvent(of: "'class.set', 'class.remove'"))
            ), last_class_rule AS (\(Self.lastEvent(of: "'class.rule.set', 'class.rule.remove'"))
            ), k AS (
                SELECT k.*, k.class_code || '/' || k.record_type AS object FROM class_rules k
            )
            -- A series without an event is audit-unrecorded (auditCrossCheck). Series imported before 2026-12 were
            -- logged without their department: nothing to compare then.
            SELECT 'series ' || s.code || ' is kept by ' || coalesce(s.department, s.code) || ', but the log says '
                   || json_extract(l.details, '$.department')
            FROM series s JOIN last_series l ON l.object = s.code
            WHERE json_type(l.details, '$.department') IS NOT NULL
              AND coalesce(s.department, s.code) IS NOT json_extract(l.details, '$.department')
            UNION ALL
            SELECT 'user ' || name || ' has no audit event' FROM u WHERE logged IS NULL
            UNION ALL
            SELECT 'user ' || name || ': role ' || role || ', departments ' || coalesce(departments, 'none') || ', '
                   || CASE WHEN disabled_at IS NULL THEN 'enabled' ELSE 'disabled' END || '; the log says role '
                   || json_extract(details, '$.role') || ', departments ' || coalesce(logged_departments, 'none') || ', '
                   || CASE WHEN coalesce(json_extract(details, '$.enabled'), 1) THEN 'enabled' ELSE 'disabled' END
            FROM u WHERE logged IS NOT NULL AND (role IS NOT json_extract(details, '$.role') OR departments IS NOT logged_departments
                         OR (disabled_at IS NULL) != coalesce(json_extract(details, '$.enabled'), 1))
            UNION ALL
            SELECT 'token ' || t.id || ' of ' || coalesce(u.name, 'an unknown user') || ' has no token.create event' FROM tokens t LEFT JOIN users u ON u.id = t.user_id
            WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'token.create' AND a.object = 'user:' || u.name
                              AND json_valid(a.details) AND json_extract(a.details, '$.token') = t.id AND json_extract(a.details, '$.prefix') = t.prefix)
            UNION ALL
            -- Tokens issued since they could expire say until when ("" for never).
            SELECT 'token ' || t.id || ' expires ' || coalesce(t.expires_at, 'never') || ', but the log issued it to expire '
                   || coalesce(nullif(json_extract(a.details, '$.expires'), ''), 'never')
            FROM tokens t JOIN users u ON u.id = t.user_id
            JOIN audit_events a ON a.action = 'token.create' AND a.object = 'user:' || u.name AND json_valid(a.details)
                                AND json_extract(a.details, '$.token') = t.id
            WHERE json_type(a.details, '$.expires') IS NOT NULL AND nullif(json_extract(a.details, '$.expires'), '') IS NOT t.expires_at
            UNION ALL
            SELECT 'token ' || t.id || ' is ' || CASE WHEN t.revoked_at IS NULL THEN 'active, but the log revoked it' ELSE 'revoked, but the log never revoked it' END
            FROM tokens t JOIN users u ON u.id = t.user_id
            WHERE (t.revoked_at IS NOT NULL) != EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'token.revoke' AND a.object = 'user:' || u.name
                                                         AND json_valid(a.details) AND json_extract(a.details, '$.token') = t.id)
            UNION ALL
            \(Self.ruleMismatches("retention rule", rules: "r", last: "last_rule", set: "retention.set", remove: "retention.remove"))
            UNION ALL
            -- A class's rule decides disposal as a series' does.
            SELECT 'class ' || k.code || ': ' || coalesce(k.retention_action || coalesce(' ' || k.retention_years || ' years', ''), 'no rule')
                   || ', but the log says '
                   || CASE WHEN l.object IS NULL THEN 'nothing' WHEN l.action = 'class.remove' THEN 'it was removed'
                           ELSE coalesce(json_extract(l.details, '$.action') || coalesce(' ' || json_extract(l.details, '$.years') || ' years', ''),
                                         'no rule') END
            FROM classes k LEFT JOIN last_class l ON l.object = k.code
            WHERE l.object IS NULL OR l.action = 'class.remove' OR k.retention_action IS NOT json_extract(l.details, '$.action')
               OR k.retention_years IS NOT json_extract(l.details, '$.years') OR k.retention_mandate IS NOT json_extract(l.details, '$.mandate')
               OR k.retention_schedule IS NOT json_extract(l.details, '$.schedule')
            UNION ALL
            SELECT 'class ' || l.object || ' is in the log but not in the catalog' FROM last_class l
            WHERE l.action = 'class.set' AND NOT EXISTS (SELECT 1 FROM classes k WHERE k.code = l.object)
            UNION ALL
            \(Self.ruleMismatches("class rule", rules: "k", last: "last_class_rule", set: "class.rule.set", remove: "class.rule.remove"))
            UNION ALL
            -- The organisation every package names as archival creator is the one the log last set (or none, never set).
            SELECT 'the store''s organisation is ' || coalesce(s.name || coalesce(' (' || s.code || ')', ''), 'not set')
                   || ', but the log says ' || coalesce(json_extract(o.details, '$.name')
                                                        || coalesce(' (' || json_extract(o.details, '$.code') || ')', ''), 'none was set')
            FROM (SELECT (SELECT value FROM store_info WHERE key = 'organisation_name') AS name,
                         (SELECT value FROM store_info WHERE key = 'organisation_code') AS code) s
            -- The latest event, damaged or not (a damaged one is the chain check's finding; its values read as none here).
            LEFT JOIN (SELECT CASE WHEN json_valid(details) THEN details END AS details FROM audit_events
                       WHERE object = 'store' AND action = 'store.organisation' ORDER BY seq DESC LIMIT 1) o ON 1
            WHERE s.name IS NOT json_extract(o.details, '$.name') OR s.code IS NOT json_extract(o.details, '$.code')
            """)
    }

    /// Rules (`rules`: object, action, years, mandate, schedule) against their last event (`last`, of `set` and
    /// `remove`): one the log does not say, and one the log set that is not there.
    static func ruleMismatches(_ label: String, rules: String, last: String, set: String, remove: String) -> String {
        """
        SELECT '\(label) ' || r.object || ': ' || r.action || coalesce(' ' || r.years || ' years', '') || ', but the log says '
               || CASE WHEN l.object IS NULL THEN 'nothing' WHEN l.action = '\(remove)' THEN 'it was removed'
                       ELSE json_extract(l.details, '$.action') || coalesce(' ' || json_extract(l.details, '$.years') || ' years', '') END
        FROM \(rules) r LEFT JOIN \(last) l ON l.object = r.object
        WHERE l.object IS NULL OR l.action = '\(remove)' OR r.action IS NOT json_extract(l.details, '$.action')
           OR r.years IS NOT json_extract(l.details, '$.years') OR r.mandate IS NOT json_extract(l.details, '$.mandate')
           OR r.schedule IS NOT json_extract(l.details, '$.schedule')
        UNION ALL
        SELECT '\(label) ' || l.object || ' is in the log but not in the catalog' FROM \(last) l
        WHERE l.action = '\(set)' AND NOT EXISTS (SELECT 1 FROM \(rules) r WHERE r.object = l.object)
        """
    }
}

extension CatalogAccess {
    /// The versions whose content a file is, as "KS 2026/1-3 v1", in number order: what a damaged file's finding names.
    public func versions(holding sha256: String, limit: Int) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal || ' v' || v.n
            FROM versions v JOIN documents d ON d.id = v.document_id JOIN cases c ON c.id = d.case_id
            WHERE v.blob_sha256 = ? ORDER BY c.series, c.year, c.serial, d.ordinal, v.n LIMIT ?
            """, arguments: [sha256, limit])
    }

    /// Versions, case descriptions and legal holds whose stored values are not what the event that made them sealed
    /// (`DescriptionSeal`): a title, a party or a class rewritten in the catalog, in every version at once or in a
    /// case's row, which nothing else in the log covers. Events from before v30 carry no seal and are not compared.
    public func sealMismatches() throws -> [String] {
        guard let key = try sealKey() else {
            // A store not yet upgraded has none and seals nothing. One that made its key and lost it: nothing could be
            // compared, which is what removing it would buy.
            let made = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM grdb_migrations WHERE identifier = 'v30-description-seal-key')") ?? false
            return made ? ["the store's seal key (store_info \(DescriptionSeal.keyInfo)) is missing or damaged, though the store made one "
                           + "(migration v30): no description can be compared with the event that made it"] : []
        }
        var found: [String] = []
        func check(_ sql: String, describe: (Row) -> String) throws {
            let rows = try Row.fetchCursor(db, sql: sql)
            while let row = try rows.next() {
                // Column 0 the event's seal, then what is sealed (the subject, then the values), then what a finding names.
                let logged: DatabaseValue = row[0]
                if logged.isNull { continue }
                let values = (1..<row.count - 1).map { row[$0] as DatabaseValue }
                if String.fromDatabaseValue(logged) != DescriptionSeal.seal(values, key: key) { found.append(describe(row)) }
            }
        }
        func object(_ row: Row, _ index: Int) -> String { (try? row.value(at: index) as String) ?? "?" }

        let version = DescriptionSeal.versionColumns.map { "v.\($0)" }.joined(separator: ", ")
        try check("""
            SELECT (SELECT CASE WHEN json_valid(a.details) THEN json_extract(a.details, '$.seal') END FROM audit_events a
                    WHERE a.seq = (SELECT min(b.seq) FROM audit_events b
                                   WHERE b.object = c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal
                                     AND b.version = v.n AND b.action IN (\(Self.versionActions)))),
                   'version', c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal, v.n,
                   \(version), c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal || ' version ' || v.n
            FROM versions v JOIN documents d ON d.id = v.document_id JOIN cases c ON c.id = d.case_id
            """) { row in
            "\(object(row, row.count - 1)): its stored description (title, parties, class, …) is not what the event that made it sealed"
        }
        let described = DescriptionSeal.caseColumns
        try check("""
            SELECT (SELECT CASE WHEN json_valid(a.details) THEN json_extract(a.details, '$.seal') END FROM audit_events a
                    WHERE a.seq = (SELECT max(e.seq) FROM audit_events e
                                   WHERE e.object = c.series || ' ' || c.year || '/' || c.serial
                                     AND e.action IN ('case.open', 'case.import', 'case.update'))),
                   'case', c.series || ' ' || c.year || '/' || c.serial, NULL,
                   \(described.map { "c.\($0)" }.joined(separator: ", ")), c.series || ' ' || c.year || '/' || c.serial
            FROM cases c
            """) { row in
            "case \(object(row, row.count - 1)): its description (title, class, department, …) is not what its last description event sealed"
        }
        // A kept description against the event that made it: the description event before the correction that kept it.
        try check("""
            SELECT (SELECT CASE WHEN json_valid(p.details) THEN json_extract(p.details, '$.seal') END FROM audit_events p
                    WHERE p.seq = (SELECT e.seq FROM audit_events e
                                   WHERE e.object = u.object AND e.version IS NULL AND e.seq < u.seq
                                     AND e.action IN ('case.open', 'case.import', 'case.update')
                                   ORDER BY e.seq DESC LIMIT 1)),
                   'case', u.object, NULL,
                   \(described.map { "r.\($0)" }.joined(separator: ", ")), u.object || ' (description ' || r.n || ')'
            FROM case_revisions r JOIN cases c ON c.id = r.case_id
            JOIN audit_events u ON u.object = c.series || ' ' || c.year || '/' || c.serial AND u.action = 'case.update'
                                AND json_valid(u.details) AND json_type(u.details, '$.revision') = 'integer'
                                AND json_extract(u.details, '$.revision') = r.n
            """) { row in
            "case \(object(row, row.count - 1)): the earlier description a correction kept is not what the event that made it sealed"
        }
        // Legal holds: the reason, time and archivist as placed, and as released, against the event that did it. (That
        // each hold has its events at all is `disposalAuditMismatches`'.)
        for (action, kind, columns, what) in [("hold.place", "hold", DescriptionSeal.holdPlacedColumns, "placed"),
                                              ("hold.release", "hold release", DescriptionSeal.holdReleasedColumns, "released")] {
            try check("""
                WITH h AS (
                    SELECT h.*, coalesce(hc.series || ' ' || hc.year || '/' || hc.serial,
                                         dc.series || ' ' || dc.year || '/' || dc.serial || '-' || d.ordinal) AS object
                    FROM legal_holds h LEFT JOIN cases hc ON hc.id = h.case_id
                    LEFT JOIN documents d ON d.id = h.document_id LEFT JOIN cases dc ON dc.id = d.case_id
                )
                SELECT (SELECT json_extract(a.details, '$.seal') FROM audit_events a
                        WHERE a.object = h.object AND a.action = '\(action)' AND json_valid(a.details)
                          AND json_extract(a.details, '$.hold') = h.id ORDER BY a.seq LIMIT 1),
                       '\(kind)', h.object, h.id, \(columns.map { "h.\($0)" }.joined(separator: ", ")),
                       'legal hold ' || h.id || ' on ' || h.object
                FROM h\(what == "released" ? " WHERE h.released_at IS NOT NULL" : "")
                """) { row in
                "\(object(row, row.count - 1)): its reason, time or archivist as \(what) is not what the event that \(what) it sealed"
            }
        }
        return found
    }
}

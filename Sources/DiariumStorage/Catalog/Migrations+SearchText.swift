import GRDB

extension Migrations {
    /// Titles and parties reach the full-text index without the characters that are invisible inside a word (soft
    /// hyphen, joiners, word joiner, BOM), as extracted text and queries already are: "klimat\u{AD}anpassning" in a
    /// title was indexed as two words, which no query could find. The stored values keep what the clerk typed.
    ///
    /// An external-content FTS5 table must be told the exact values it indexed when a row leaves it, so the
    /// documents whose indexed text changes leave the index under the old view and re-enter under the new one.
    static func v7SearchText(_ db: Database) throws {
        let invisible = [0xAD, 0x200C, 0x200D, 0x2060, 0xFEFF]
        let fields = "coalesce(v.title, '') || coalesce(v.public_title, '') || coalesce(v.sender, '') || coalesce(v.recipient, '')"
        let affected = try Int64.fetchAll(db, sql: """
            SELECT d.id FROM documents d JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            WHERE \(invisible.map { "instr(\(fields), char(\($0))) > 0" }.joined(separator: " OR "))
            """)
        let columns = "title, body, sender, recipient, restricted_title, restricted_body, restricted_sender, restricted_recipient"
        for id in affected {
            try db.execute(sql: "INSERT INTO search_fts(search_fts, rowid, \(columns)) SELECT 'delete', id, \(columns) FROM search_content WHERE id = ?",
                           arguments: [id])
        }
        func visible(_ expression: String) -> String {
            invisible.reduce(expression) { "replace(\($0), char(\($1)), '')" }
        }
        try db.execute(sql: """
            DROP VIEW search_content;
            CREATE VIEW search_content AS
            SELECT d.id AS id,
                   \(visible("""
                       CASE WHEN instr(coalesce(v.restriction_hides, ''), 'title') > 0 THEN coalesce(v.public_title, '')
                            ELSE v.title || coalesce(' ' || v.public_title, '') END
                       """)) AS title,
                   CASE WHEN instr(coalesce(v.restriction_hides, ''), 'content') > 0 OR v.status = 'draft' THEN ''
                        ELSE coalesce(r.text, '') END AS body,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN '' ELSE coalesce(v.sender, '') END")) AS sender,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN '' ELSE coalesce(v.recipient, '') END")) AS recipient,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'title') > 0 THEN v.title ELSE '' END")) AS restricted_title,
                   CASE WHEN instr(coalesce(v.restriction_hides, ''), 'content') > 0 OR v.status = 'draft' THEN coalesce(r.text, '')
                        ELSE '' END AS restricted_body,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN coalesce(v.sender, '') ELSE '' END")) AS restricted_sender,
                   \(visible("CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN coalesce(v.recipient, '') ELSE '' END")) AS restricted_recipient
            FROM documents d
            JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            LEFT JOIN renditions r ON r.sha256 = v.blob_sha256;
            """)
        for id in affected {
            try db.execute(sql: "INSERT INTO search_fts(rowid, \(columns)) SELECT id, \(columns) FROM search_content WHERE id = ?",
                           arguments: [id])
        }
    }
}

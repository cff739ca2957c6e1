import GRDB

/// Append-only schema history. Never edit a registered migration: add a new one.
/// Migrations speak SQL, not current model types, so they stay valid as the code changes.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-records") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2-search") { db in
            try db.execute(sql: v2)
            try SearchIndex.configure(db)
            // Index what a store made before search existed (renditions of old content: `index rebuild --extract`).
            try CatalogAccess(db: db).rebuildSearchIndex(progress: { _, _ in })
        }
        migrator.registerMigration("v3-access") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4-archive") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5-exchange") { db in
            try db.execute(sql: v5Exchange)
        }
        migrator.registerMigration("v6-retention") { db in
            try db.execute(sql: v6Retention)
        }
        migrator.registerMigration("v7-search-text") { db in
            try v7SearchText(db)
        }
        migrator.registerMigration("v8-index-pending-terms") { db in
            try db.execute(sql: "INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', ?)",
                           arguments: [SearchIndex.pendingTermsBytes])
        }
        migrator.registerMigration("v9-case-restriction") { db in
            try db.execute(sql: v9CaseRestriction)
        }
        migrator.registerMigration("v10-restriction-ends") { db in
            // Restrictions whose end has passed are looked up by it (`diarium restrictions`), among few.
            try db.execute(sql: "CREATE INDEX versions_restriction_until ON versions(restriction_until) WHERE restriction_until IS NOT NULL")
        }
        migrator.registerMigration("v11-case-revisions") { db in
            try db.execute(sql: v11CaseRevisions)
        }
        migrator.registerMigration("v12-disposal") { db in
            try db.execute(sql: v12Disposal)
            try v12SearchContent(db)
        }
        migrator.registerMigration("v13-disposed-content") { db in
            // Every disposal run looks for files of disposed content still on disk, among few of the many blobs.
            try db.execute(sql: "CREATE INDEX blobs_disposed ON blobs(disposed_at) WHERE disposed_at IS NOT NULL")
        }
        migrator.registerMigration("v14-hold-release-reason") { db in
            try db.execute(sql: v14HoldReleaseReason)
        }
        migrator.registerMigration("v15-disposals-to-purge") { db in
            // Disposals made before they were counted may have left their words in the full-text index: counted now,
            // so that the next merge purges them (`CatalogAccess.unpurgedDisposals`).
            try db.execute(sql: """
                INSERT OR REPLACE INTO store_info(key, value) SELECT 'search_disposals_counted', CAST(count(*) AS TEXT) FROM disposals
                """)
        }
        migrator.registerMigration("v16-classification") { db in
            try db.execute(sql: v16Classification)
        }
        migrator.registerMigration("v17-interchange-documents") { db in
            // Interchanges queued before are not known by their documents: their packages are withdrawn by hand.
            try db.execute(sql: v17InterchangeDocuments)
        }
        migrator.registerMigration("v18-disposals-by-time") { db in
            // The disposal record is asked for a period (`diarium disposals --from --to`) of a table that grows for ever.
            try db.execute(sql: "CREATE INDEX disposals_at ON disposals(disposed_at)")
        }
        migrator.registerMigration("v19-class-rules") { db in
            try db.execute(sql: v19ClassRules)
        }
        migrator.registerMigration("v20-content-formats") { db in
            // What else the bytes tell: each content's PRONOM format, found at registration. A table of its own, of
            // short rows: the format report reads it for every document, and columns behind a rendition's text
            // would have it walk the text's overflow pages. Content stored before has no row until
            // `diarium formats identify` looks.
            try db.execute(sql: """
                CREATE TABLE content_formats (
                    sha256          TEXT PRIMARY KEY REFERENCES blobs(sha256),
                    puid            TEXT CHECK (puid IS NULL OR length(puid) BETWEEN 1 AND 64),
                    name            TEXT,
                    version         TEXT,
                    basis           TEXT CHECK (basis IN ('signature', 'container', 'extension')),
                    -- The signatures that looked (`FormatIdentifier.release`); no puid: none of them matched.
                    identified_with TEXT NOT NULL,
                    CHECK ((puid IS NULL) = (name IS NULL) AND (puid IS NULL) = (basis IS NULL))
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v21-cases-newest-first") { db in
            // Cases are listed newest first, a page at a time, in a series or all of them.
            try db.execute(sql: """
                CREATE INDEX cases_opened ON cases(opened_at, id);
                CREATE INDEX cases_series_opened ON cases(series, opened_at, id);
                """)
        }
        migrator.registerMigration("v22-token-expiry") { db in
            // A token may be issued for a time (`token create --valid-days`); NULL: until revoked, as before.
            // Compared as text with the time of the request: only the one fixed-width UTC form may stand here.
            try db.execute(sql: "ALTER TABLE tokens ADD COLUMN expires_at TEXT CHECK (expires_at IS NULL OR expires_at GLOB '????-??-??T??:??:??.???Z')")
        }
        migrator.registerMigration("v23-search-scope") { db in
            try v23SearchScope(db)
        }
        migrator.registerMigration("v24-token-last-used") { db in
            // When a server last accepted the token, to the minute (it writes a token's use at most once a minute):
            // operational, not a fact of the record, so not in the audit log. NULL: never.
            try db.execute(sql: "ALTER TABLE tokens ADD COLUMN last_used_at TEXT CHECK (last_used_at IS NULL OR last_used_at GLOB '????-??-??T??:??:??.???Z')")
        }
        migrator.registerMigration("v25-search-direction") { db in
            // `direction:` as the other filters: its documents in id order from an index, so that words under it are
            // bounded to its ids and, when few pass it, looked up one by one (it was read by stepping every match).
            try db.execute(sql: "CREATE INDEX search_meta_direction ON search_meta(direction)")
        }
        migrator.registerMigration("v26-search-case-titles") { db in
            try v26SearchCaseTitles(db)
        }
        migrator.registerMigration("v27-case-title-index") { db in
            try v27CaseTitleIndex(db)
        }
        migrator.registerMigration("v28-interchange-redelivery") { db in
            try db.execute(sql: v28InterchangeRedelivery)
        }
        migrator.registerMigration("v29-search-turkish-i") { db in
            try v29TurkishI(db)
        }
        migrator.registerMigration("v30-description-seal-key") { db in
            // The key of the seals events carry from now on (`DescriptionSeal`); events before it carry none and
            // are not compared on what a seal covers.
            try db.execute(sql: "INSERT OR IGNORE INTO store_info(key, value) VALUES (?, ?)",
                           arguments: [DescriptionSeal.keyInfo, DescriptionSeal.newKey()])
        }
        return migrator
    }

    /// Users, their departments and API tokens; each series' department; the public diarium's date index.
    static let v3 = """
        -- The department that keeps a series: clerks of that department register in it and may read its restricted
        -- documents. NULL means the department whose code is the series code (KS keeps KS).
        ALTER TABLE series ADD COLUMN department TEXT CHECK (department IS NULL OR length(department) BETWEEN 1 AND 32);

        CREATE TABLE users (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
            role        TEXT NOT NULL CHECK (role IN ('clerk', 'archivist', 'admin')),
            created_at  TEXT NOT NULL,
            disabled_at TEXT
        );

        CREATE TABLE user_departments (
            user_id    INTEGER NOT NULL REFERENCES users(id),
            department TEXT NOT NULL CHECK (length(department) BETWEEN 1 AND 32),
            PRIMARY KEY (user_id, department)
        ) WITHOUT ROWID;

        -- Only the SHA-256 of a token is kept: a copy of the catalog does not give anyone access.
        CREATE TABLE tokens (
            id         INTEGER PRIMARY KEY,
            user_id    INTEGER NOT NULL REFERENCES users(id),
            sha256     TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
            prefix     TEXT NOT NULL,
            label      TEXT,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX tokens_user ON tokens(user_id);

        -- The public diarium lists by registration time.
        CREATE INDEX documents_registered_at ON documents(registered_at, id);
        """

    /// The ground a case's title is withheld on. Cases opened before keep a public title without one (their title
    /// stays hidden); a case restriction hides the title only, so it has no `hides`.
    static let v9CaseRestriction = """
        ALTER TABLE cases ADD COLUMN restriction_kind TEXT CHECK (restriction_kind IN ('security', 'secrecy', 'privacy'));
        ALTER TABLE cases ADD COLUMN restriction_legal TEXT CHECK (restriction_legal IS NULL OR length(trim(restriction_legal)) > 0);
        ALTER TABLE cases ADD COLUMN restriction_until TEXT;
        """

    /// A case's description as it was before each correction: nothing is overwritten without a trace (documents keep
    /// theirs as versions). Row n is the n-th description replaced since revisions were kept (corrections logged
    /// before, in builds without this table, kept none).
    static let v11CaseRevisions = """
        CREATE TABLE case_revisions (
            case_id           INTEGER NOT NULL REFERENCES cases(id),
            n                 INTEGER NOT NULL CHECK (n >= 1),
            replaced_at       TEXT NOT NULL,
            replaced_by       TEXT NOT NULL,
            title             TEXT NOT NULL CHECK (length(trim(title)) > 0),
            public_title      TEXT,
            class_code        TEXT,
            department        TEXT,
            officer           TEXT,
            restriction_kind  TEXT CHECK (restriction_kind IN ('security', 'secrecy', 'privacy')),
            restriction_legal TEXT,
            restriction_until TEXT,
            CHECK ((restriction_kind IS NULL) = (restriction_legal IS NULL)),
            PRIMARY KEY (case_id, n)
        ) WITHOUT ROWID;
        CREATE TRIGGER case_revisions_no_update BEFORE UPDATE ON case_revisions
        BEGIN SELECT RAISE(ABORT, 'case revisions are kept as they were'); END;
        CREATE TRIGGER case_revisions_no_delete BEFORE DELETE ON case_revisions
        BEGIN SELECT RAISE(ABORT, 'case revisions are kept as they were'); END;
        """

    static let v1 = """
        CREATE TABLE store_info (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE series (
            code       TEXT PRIMARY KEY CHECK (code GLOB '[A-Z]*' AND NOT code GLOB '*[^A-Z0-9]*' AND length(code) BETWEEN 1 AND 12),
            name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
            created_at TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE cases (
            id           INTEGER PRIMARY KEY,
            series       TEXT NOT NULL REFERENCES series(code),
            year         INTEGER NOT NULL CHECK (year BETWEEN 1000 AND 9999),
            serial       INTEGER NOT NULL CHECK (serial >= 1),
            title        TEXT NOT NULL CHECK (length(trim(title)) > 0),
            public_title TEXT,
            class_code   TEXT,
            status       TEXT NOT NULL CHECK (status IN ('open', 'closed')),
            department   TEXT,
            officer      TEXT,
            opened_at    TEXT NOT NULL,
            opened_by    TEXT NOT NULL,
            closed_at    TEXT,
            CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
            UNIQUE (series, year, serial)
        );

        CREATE TABLE blobs (
            sha256    TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND NOT sha256 GLOB '*[^0-9a-f]*'),
            size      INTEGER NOT NULL CHECK (size >= 0),
            stored_at TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE documents (
            id              INTEGER PRIMARY KEY,
            case_id         INTEGER NOT NULL REFERENCES cases(id),
            ordinal         INTEGER NOT NULL CHECK (ordinal >= 1),
            registered_at   TEXT NOT NULL,
            registered_by   TEXT NOT NULL,
            current_version INTEGER NOT NULL CHECK (current_version >= 1),
            status          TEXT NOT NULL CHECK (status IN ('draft', 'final', 'archived')),
            UNIQUE (case_id, ordinal)
        );

        -- One row per immutable version: the complete state of the document after a change.
        CREATE TABLE versions (
            document_id       INTEGER NOT NULL REFERENCES documents(id),
            n                 INTEGER NOT NULL CHECK (n >= 1),
            change            TEXT NOT NULL CHECK (change IN ('registered', 'content', 'metadata', 'status')),
            author            TEXT NOT NULL,
            created_at        TEXT NOT NULL,
            comment           TEXT,
            status            TEXT NOT NULL CHECK (status IN ('draft', 'final', 'archived')),
            title             TEXT NOT NULL CHECK (length(trim(title)) > 0),
            public_title      TEXT,
            record_type       TEXT NOT NULL CHECK (record_type IN ('actionPlan', 'decision', 'serviceRecord', 'letter', 'minutes', 'report', 'other')),
            direction         TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'internal')),
            document_date     TEXT,
            sender            TEXT,
            recipient         TEXT,
            class_code        TEXT,
            restriction_kind  TEXT CHECK (restriction_kind IN ('security', 'secrecy', 'privacy')),
            restriction_legal TEXT CHECK (restriction_legal IS NULL OR length(trim(restriction_legal)) > 0),
            restriction_until TEXT,
            restriction_hides TEXT,
            blob_sha256       TEXT REFERENCES blobs(sha256),
            content_size      INTEGER CHECK (content_size >= 0),
            media_type        TEXT,
            original_name     TEXT,
            PRIMARY KEY (document_id, n),
            -- offentlighetsprincipen: no restriction without its legal ground
            CHECK ((restriction_kind IS NULL) = (restriction_legal IS NULL)),
            CHECK ((restriction_kind IS NULL) = (restriction_hides IS NULL)),
            CHECK ((blob_sha256 IS NULL) = (content_size IS NULL) AND (blob_sha256 IS NULL) = (media_type IS NULL)
                   AND (blob_sha256 IS NULL) = (original_name IS NULL))
        ) WITHOUT ROWID;
        CREATE INDEX versions_blob ON versions(blob_sha256) WHERE blob_sha256 IS NOT NULL;

        CREATE TRIGGER versions_no_update BEFORE UPDATE ON versions
        BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
        CREATE TRIGGER versions_no_delete BEFORE DELETE ON versions
        BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;

        -- Append-only, hash-chained: hash = sha256(seq US at US actor US action US object US version US details US prev_hash).
        CREATE TABLE audit_events (
            seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
            at        TEXT NOT NULL,
            actor     TEXT NOT NULL,
            action    TEXT NOT NULL,
            object    TEXT NOT NULL,
            version   INTEGER,
            details   TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash      TEXT NOT NULL UNIQUE
        );
        CREATE INDEX audit_events_object ON audit_events(object, version);

        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """

    /// Text renditions, the filterable metadata of each document's current version, and the full-text index.
    static let v2 = """
        -- The text of a content file as extracted at registration; one per blob (same bytes, same text).
        CREATE TABLE renditions (
            id         INTEGER PRIMARY KEY,
            sha256     TEXT NOT NULL UNIQUE REFERENCES blobs(sha256),
            status     TEXT NOT NULL CHECK (status IN ('extracted', 'empty', 'truncated', 'unsupported', 'failed')),
            extractor  TEXT NOT NULL,
            message    TEXT,
            text       TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        -- Filter and facet columns of each document's current version (derived; rebuilt by `index rebuild`).
        CREATE TABLE search_meta (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id),
            series      TEXT NOT NULL,
            case_year   INTEGER NOT NULL,
            case_serial INTEGER NOT NULL,
            ordinal     INTEGER NOT NULL,
            record_type TEXT NOT NULL,
            direction   TEXT NOT NULL,
            status      TEXT NOT NULL,
            year        INTEGER NOT NULL,   -- year of registration, Swedish time
            date        TEXT NOT NULL,      -- document date, else registration date (Swedish time)
            class_code  TEXT                -- the document's class, else its case's
        );
        CREATE INDEX search_meta_type ON search_meta(record_type);
        CREATE INDEX search_meta_case ON search_meta(series, case_year, case_serial);
        CREATE INDEX search_meta_status ON search_meta(status);
        CREATE INDEX search_meta_year ON search_meta(year);
        CREATE INDEX search_meta_date ON search_meta(date);
        CREATE INDEX search_meta_class ON search_meta(class_code);

        -- What the full-text index holds for each document's current version. Parts a restriction hides go to
        -- the restricted_* columns, which the public view never searches or shows; so does a draft's content,
        -- which is not public until the document is final (upprättad).
        CREATE VIEW search_content AS
        SELECT d.id AS id,
               CASE WHEN instr(coalesce(v.restriction_hides, ''), 'title') > 0 THEN coalesce(v.public_title, '')
                    ELSE v.title || coalesce(' ' || v.public_title, '') END AS title,
               CASE WHEN instr(coalesce(v.restriction_hides, ''), 'content') > 0 OR v.status = 'draft' THEN ''
                    ELSE coalesce(r.text, '') END AS body,
               CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN '' ELSE coalesce(v.sender, '') END AS sender,
               CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN '' ELSE coalesce(v.recipient, '') END AS recipient,
               CASE WHEN instr(coalesce(v.restriction_hides, ''), 'title') > 0 THEN v.title ELSE '' END AS restricted_title,
               CASE WHEN instr(coalesce(v.restriction_hides, ''), 'content') > 0 OR v.status = 'draft' THEN coalesce(r.text, '')
                    ELSE '' END AS restricted_body,
               CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN coalesce(v.sender, '') ELSE '' END AS restricted_sender,
               CASE WHEN instr(coalesce(v.restriction_hides, ''), 'parties') > 0 THEN coalesce(v.recipient, '') ELSE '' END AS restricted_recipient
        FROM documents d
        JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
        LEFT JOIN renditions r ON r.sha256 = v.blob_sha256;

        -- unicode61 without diacritic folding: "får" is not "far"; case-insensitive (Ä = ä).
        CREATE VIRTUAL TABLE search_fts USING fts5(
            title, body, sender, recipient, restricted_title, restricted_body, restricted_sender, restricted_recipient,
            content = 'search_content', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4'
        );
        """

    /// Archival packages: where imported cases and documents came from, and which packages were imported.
    static let v4 = """
        -- The number a case or document had in the system it was imported from, when import gave it a new one
        -- (renumbering, received interchanges). NULL for records made here or imported with their own numbers.
        ALTER TABLE cases ADD COLUMN external_ref TEXT CHECK (external_ref IS NULL OR length(trim(external_ref)) > 0);
        ALTER TABLE documents ADD COLUMN external_ref TEXT CHECK (external_ref IS NULL OR length(trim(external_ref)) > 0);

        -- One row per imported package (E-ARK OBJID), written in the import's transaction.
        CREATE TABLE package_imports (
            id          INTEGER PRIMARY KEY,
            package_id  TEXT NOT NULL CHECK (length(trim(package_id)) > 0),
            source      TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            imported_by TEXT NOT NULL,
            cases       INTEGER NOT NULL CHECK (cases >= 0),
            documents   INTEGER NOT NULL CHECK (documents >= 0),
            audit_seq   INTEGER NOT NULL REFERENCES audit_events(seq)
        );
        CREATE INDEX package_imports_package ON package_imports(package_id);
        """
}

import GRDB

/// Append-only schema history. Never edit a registered migration: add a new one.
/// Migrations speak SQL, not current model types, so they stay valid as the code changes.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-records") { db in
            try db.execute(sql: v1)
        }
        return migrator
    }

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
}

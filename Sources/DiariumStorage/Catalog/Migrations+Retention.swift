import Foundation
import GRDB

extension Migrations {
    /// The retention schedule (informationshanteringsplan): per series a default rule and rules per record type.
    static let v6Retention = """
        CREATE TABLE retention_rules (
            series      TEXT NOT NULL REFERENCES series(code),
            -- '' is the series' default, for every record type without a rule of its own.
            record_type TEXT NOT NULL DEFAULT '',
            action      TEXT NOT NULL CHECK (action IN ('keep', 'dispose')),
            -- Years after the case is closed; only disposal rules have them.
            years       INTEGER CHECK ((action = 'keep' AND years IS NULL) OR (action = 'dispose' AND years BETWEEN 0 AND 1000)),
            mandate     TEXT NOT NULL CHECK (length(trim(mandate)) > 0),
            schedule    TEXT CHECK (schedule IS NULL OR length(trim(schedule)) > 0),
            PRIMARY KEY (series, record_type)
        ) WITHOUT ROWID;
        """
}

extension Migrations {
    /// Disposal (gallring) and legal holds. A disposed document keeps its row and versions (the diarium's entry, and
    /// what each version was); a `disposals` row, written once, says when, by whom and under which rule its content
    /// went. A content file goes with the last document that used it: its `blobs` row stays (versions name it) with
    /// `disposed_at` set, and a registration of the same bytes later clears it again.
    static let v12Disposal = """
        ALTER TABLE blobs ADD COLUMN disposed_at TEXT;

        CREATE TABLE disposals (
            document_id      INTEGER PRIMARY KEY REFERENCES documents(id),
            disposed_at      TEXT NOT NULL,
            disposed_by      TEXT NOT NULL CHECK (length(trim(disposed_by)) > 0),
            due_at           TEXT NOT NULL,
            -- The rule as it stood when applied (rules change; the record of what happened must not).
            rule_record_type TEXT CHECK (rule_record_type IS NULL OR rule_record_type IN
                                         ('actionPlan', 'decision', 'serviceRecord', 'letter', 'minutes', 'report', 'other')),
            rule_years       INTEGER NOT NULL CHECK (rule_years BETWEEN 0 AND 1000),
            rule_mandate     TEXT NOT NULL CHECK (length(trim(rule_mandate)) > 0),
            rule_schedule    TEXT CHECK (rule_schedule IS NULL OR length(trim(rule_schedule)) > 0)
        );
        CREATE TRIGGER disposals_no_update BEFORE UPDATE ON disposals
        BEGIN SELECT RAISE(ABORT, 'a disposal is kept as it was made'); END;
        CREATE TRIGGER disposals_no_delete BEFORE DELETE ON disposals
        BEGIN SELECT RAISE(ABORT, 'a disposal is kept as it was made'); END;

        CREATE TABLE legal_holds (
            id          INTEGER PRIMARY KEY,
            case_id     INTEGER REFERENCES cases(id),
            document_id INTEGER REFERENCES documents(id),
            reason      TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            placed_at   TEXT NOT NULL,
            placed_by   TEXT NOT NULL,
            released_at TEXT,
            released_by TEXT,
            CHECK ((case_id IS NULL) != (document_id IS NULL)),
            CHECK ((released_at IS NULL) = (released_by IS NULL))
        );
        CREATE INDEX legal_holds_case ON legal_holds(case_id) WHERE case_id IS NOT NULL AND released_at IS NULL;
        CREATE INDEX legal_holds_document ON legal_holds(document_id) WHERE document_id IS NOT NULL AND released_at IS NULL;
        -- A hold is released once, and otherwise kept as placed.
        CREATE TRIGGER legal_holds_release_only BEFORE UPDATE ON legal_holds
        WHEN OLD.released_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id
          OR NEW.document_id IS NOT OLD.document_id OR NEW.reason IS NOT OLD.reason OR NEW.placed_at IS NOT OLD.placed_at
          OR NEW.placed_by IS NOT OLD.placed_by
        BEGIN SELECT RAISE(ABORT, 'a legal hold is only ever released'); END;
        CREATE TRIGGER legal_holds_no_delete BEFORE DELETE ON legal_holds
        BEGIN SELECT RAISE(ABORT, 'a legal hold is released, not deleted'); END;
        """

    /// Why a hold was released (the appeal decided, the request answered), set with the release and never after: the
    /// trigger is made again to cover the new column.
    static let v14HoldReleaseReason = """
        ALTER TABLE legal_holds ADD COLUMN release_reason TEXT CHECK (release_reason IS NULL OR length(trim(release_reason)) > 0);
        DROP TRIGGER legal_holds_release_only;
        CREATE TRIGGER legal_holds_release_only BEFORE UPDATE ON legal_holds
        WHEN OLD.released_at IS NOT NULL OR NEW.released_at IS NULL OR NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id
          OR NEW.document_id IS NOT OLD.document_id OR NEW.reason IS NOT OLD.reason OR NEW.placed_at IS NOT OLD.placed_at
          OR NEW.placed_by IS NOT OLD.placed_by
        BEGIN SELECT RAISE(ABORT, 'a legal hold is only ever released'); END;
        """

    /// The full-text index's content view, made to leave out a disposed document's text: its content's rendition may
    /// stay (another document with the same bytes) but it is no longer this document's. The view is v7's, changed in
    /// one join: taken from the schema and checked, so the two cannot drift.
    static func v12SearchContent(_ db: Database) throws {
        let join = "LEFT JOIN renditions r ON r.sha256 = v.blob_sha256"
        guard let view = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'search_content'"),
              view.components(separatedBy: join).count == 2 else {
            throw DatabaseError(message: "search_content is not the view this migration expects")
        }
        let changed = view.replacingOccurrences(
            of: join, with: join + " AND NOT EXISTS (SELECT 1 FROM disposals x WHERE x.document_id = d.id)")
        try db.execute(sql: "DROP VIEW search_content")
        try db.execute(sql: changed)
    }
}

extension Migrations {
    /// The classification structure (klassificeringsstruktur): a tree of classes by dotted code, each optionally with
    /// the retention rule of what is classified under it; a disposal records the class whose rule it applied.
    static let v16Classification = """
        CREATE TABLE classes (
            code               TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 64),
            -- The code without its last part, which must be a class itself; NULL at the top.
            parent             TEXT REFERENCES classes(code),
            title              TEXT NOT NULL CHECK (length(trim(title)) > 0),
            description        TEXT,
            retention_action   TEXT CHECK (retention_action IN ('keep', 'dispose')),
            retention_years    INTEGER CHECK (retention_years BETWEEN 0 AND 1000),
            retention_mandate  TEXT CHECK (retention_mandate IS NULL OR length(trim(retention_mandate)) > 0),
            retention_schedule TEXT CHECK (retention_schedule IS NULL OR length(trim(retention_schedule)) > 0),
            CHECK ((retention_action IS NULL) = (retention_mandate IS NULL)),
            CHECK ((retention_action IS 'dispose') = (retention_years IS NOT NULL)),
            CHECK (retention_action IS NOT NULL OR retention_schedule IS NULL)
        ) WITHOUT ROWID;
        CREATE INDEX classes_parent ON classes(parent) WHERE parent IS NOT NULL;
        -- Whether a class is still used is asked before it may go: of cases here, of document versions by a scan (an
        -- index there would cost every registration, for a question asked seldom).
        CREATE INDEX cases_class ON cases(class_code) WHERE class_code IS NOT NULL;

        ALTER TABLE disposals ADD COLUMN rule_class TEXT;
        """

    /// A class's rules for record types (handlingstyper): in a structure laid out by process, the process's decisions
    /// may be kept and its letters disposed of after two years. They go with their class, which is only removed
    /// once nothing is classified under it.
    static let v19ClassRules = """
        CREATE TABLE class_rules (
            class_code  TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE,
            record_type TEXT NOT NULL CHECK (length(record_type) > 0),
            action      TEXT NOT NULL CHECK (action IN ('keep', 'dispose')),
            years       INTEGER CHECK ((action = 'keep' AND years IS NULL) OR (action = 'dispose' AND years BETWEEN 0 AND 1000)),
            mandate     TEXT NOT NULL CHECK (length(trim(mandate)) > 0),
            schedule    TEXT CHECK (schedule IS NULL OR length(trim(schedule)) > 0),
            PRIMARY KEY (class_code, record_type)
        ) WITHOUT ROWID;
        """
}

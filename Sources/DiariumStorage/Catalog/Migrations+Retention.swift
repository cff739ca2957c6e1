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

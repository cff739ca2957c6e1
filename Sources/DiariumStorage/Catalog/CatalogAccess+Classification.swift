import DiariumCore
import GRDB

/// The classification structure.
extension CatalogAccess {
    /// Every class (a structure has hundreds, not millions) with its rules for record types, in no particular order.
    public func classes() throws -> [ClassificationClass] {
        var rules: [String: [RecordType: RetentionTerms]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM class_rules") {
            let (type, terms) = try Self.classRule(row)
            rules[try row.value("class_code"), default: [:]][type] = terms
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM classes").map { row in
            try Self.classificationClass(row).with(typeRetention: rules[try row.value("code")] ?? [:])
        }
    }

    public func classificationScheme() throws -> ClassificationScheme {
        ClassificationScheme(try classes())
    }

    public func classificationClass(_ code: String) throws -> ClassificationClass? {
        guard let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM classes WHERE code = ?"), arguments: [code]) else {
            return nil
        }
        var rules: [RecordType: RetentionTerms] = [:]
        for rule in try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM class_rules WHERE class_code = ?"), arguments: [code]) {
            let (type, terms) = try Self.classRule(rule)
            rules[type] = terms
        }
        return try Self.classificationClass(row).with(typeRetention: rules)
    }

    /// Inserts a class or replaces its title, description and rule, leaving its rules for record types as they are;
    /// its parent must exist (the caller checks, for a clear message; the foreign key holds it anyway).
    public func putClass(_ item: ClassificationClass) throws {
        try db.execute(sql: """
            INSERT INTO classes(code, parent, title, description, retention_action, retention_years, retention_mandate, retention_schedule)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET title = excluded.title, description = excluded.description,
                retention_action = excluded.retention_action, retention_years = excluded.retention_years,
                retention_mandate = excluded.retention_mandate, retention_schedule = excluded.retention_schedule
            """, arguments: [item.code, item.parent, item.title, item.description, item.retention?.action.rawValue, item.retention?.years,
                             item.retention?.mandate, item.retention?.schedule])
    }

    /// Sets or replaces a class's rule for a record type; the class must exist (the foreign key holds it).
    public func putClassRule(code: String, type: RecordType, _ terms: RetentionTerms) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO class_rules(class_code, record_type, action, years, mandate, schedule) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [code, type.rawValue, terms.action.rawValue, terms.years, terms.mandate, terms.schedule])
    }

    /// Removes a class's rule for a record type; false when there was none.
    public func deleteClassRule(code: String, type: RecordType) throws -> Bool {
        try db.execute(sql: "DELETE FROM class_rules WHERE class_code = ? AND record_type = ?", arguments: [code, type.rawValue])
        return db.changesCount > 0
    }

    /// Removes a class (and its rules for record types); false when there was none.
    public func deleteClass(_ code: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM classes WHERE code = ?", arguments: [code])
        return db.changesCount > 0
    }

    /// What keeps a class from going: its sub-classes, and the cases (now or in an earlier description) and documents
    /// (any version) classified under it.
    public func classUse(_ code: String) throws -> (subclasses: Int, cases: Int, documents: Int) {
        let row = try Row.fetchOne(db, sql: """
            SELECT (SELECT count(*) FROM classes WHERE parent = ?1),
                   (SELECT count(*) FROM (SELECT id FROM cases WHERE class_code = ?1
                                          UNION SELECT case_id FROM case_revisions WHERE class_code = ?1)),
                   (SELECT count(DISTINCT document_id) FROM versions WHERE class_code = ?1)
            """, arguments: [code])
        return (try row?.optionalValue(at: 0) ?? 0, try row?.optionalValue(at: 1) ?? 0, try row?.optionalValue(at: 2) ?? 0)
    }

    /// Refuses a code given to a case or document that is not in the classification structure, once the store has
    /// one (before, any well-formed code is taken, as stores made without a structure always did).
    public func requireClass(_ code: String?, field: String = "classification") throws {
        guard let code else { return }
        let known = try Row.fetchOne(try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM classes WHERE code = ?), EXISTS (SELECT 1 FROM classes)
            """), arguments: [code])
        guard let known, try known.value(at: 0) == false, try known.value(at: 1) == true else { return }
        throw DiariumError.invalid(field, "class \(code) is not in the classification structure (see `diarium class list`; "
                                   + "classes are added with `diarium class set`, or over HTTP by an admin)")
    }

    static func classRule(_ row: Row) throws -> (RecordType, RetentionTerms) {
        guard let type = RecordType(rawValue: try row.value("record_type")),
              let action = RetentionRule.Action(rawValue: try row.value("action")) else { throw corrupt("class_rules") }
        return (type, RetentionTerms(stored: action, years: try row.value("years"), mandate: try row.value("mandate"),
                                     schedule: try row.value("schedule")))
    }

    static func classificationClass(_ row: Row) throws -> ClassificationClass {
        var terms: RetentionTerms?
        if let action: String = try row.value("retention_action") {
            guard let parsed = RetentionRule.Action(rawValue: action) else { throw corrupt("classes") }
            terms = RetentionTerms(stored: parsed, years: try row.value("retention_years"), mandate: try row.value("retention_mandate"),
                                   schedule: try row.value("retention_schedule"))
        }
        return ClassificationClass(stored: try row.value("code"), title: try row.value("title"), description: try row.value("description"),
                                   retention: terms)
    }
}

import DiariumCore
import DiariumStorage
import Foundation

/// The classification structure (klassificeringsstruktur): the classes cases and documents are classified under, and
/// the retention rules kept with them, carried into every export as ERMS `classificationSchema`.
extension RecordsService {
    /// Adds a class or replaces its title, description and rule. The class above it (`2.4` for `2.4.1`) must exist.
    /// Its rules for record types stay as they are, with those `item` has set or replaced (`setClassRule`).
    /// `created`: there was no class of that code (told in the same transaction, for an HTTP PUT's 201). `saved`: the
    /// class as it now is, with all its rules.
    @discardableResult
    public func setClass(_ item: ClassificationClass, actor: String,
                         condition: SettingCondition<ClassificationClass>? = nil) throws(DiariumError) -> (saved: ClassificationClass, created: Bool) {
        let actor = try checkedActor(actor)
        return try store.catalog.write { access in
            let current = try access.classificationClass(item.code)
            try condition?(current)
            let created = current == nil
            try Self.putClass(item, actor: actor, at: clock.now(), access)
            return (try Self.existingClass(item.code, access), created)
        }
    }

    /// Sets or replaces the rule of a class for one record type (handlingstyp), which governs documents of that type
    /// classified under the class (or below it, unless a class further down has a rule of its own) before the
    /// class's own rule. `created`: the class had no rule for the type. `saved`: the class as it now is.
    @discardableResult
    public func setClassRule(code: String, type: RecordType, _ terms: RetentionTerms, actor: String,
                             condition: SettingCondition<ClassificationClass>? = nil) throws(DiariumError) -> (saved: ClassificationClass, created: Bool) {
        let actor = try checkedActor(actor)
        let code = try Self.classCode(code)
        return try store.catalog.write { access in
            let current = try Self.existingClass(code, access)
            try condition?(current)
            let created = current.typeRetention[type] == nil
            try Self.putClassRule(code: code, type: type, terms, actor: actor, at: clock.now(), access)
            return (try Self.existingClass(code, access), created)
        }
    }

    /// Removes a class's rule for a record type: its documents of that type fall under the class's own rule again.
    public func removeClassRule(code: String, type: RecordType, actor: String,
                                condition: SettingCondition<ClassificationClass>? = nil) throws(DiariumError) {
        let actor = try checkedActor(actor)
        let code = try Self.classCode(code)
        try store.catalog.write { access in
            try condition?(try Self.existingClass(code, access))
            guard try access.deleteClassRule(code: code, type: type) else {
                throw DiariumError(.notFound, "class \(code) has no rule for \(type.rawValue)", field: "type")
            }
            try access.appendAudit(at: clock.now(), actor: actor, action: .classRuleRemove, object: "\(code)/\(type.rawValue)", version: nil,
                                   details: "{}")
        }
    }

    static func existingClass(_ code: String, _ access: CatalogAccess) throws -> ClassificationClass {
        guard let found = try access.classificationClass(code) else {
            throw DiariumError(.notFound, "class \(code) is not in the classification structure", field: "code")
        }
        return found
    }

    /// A code as given (trimmed, NFC), refused when it is not one.
    static func classCode(_ text: String) throws(DiariumError) -> String {
        guard let code = try RecordRules.classification(text, field: "code") else {
            throw DiariumError.invalid("code", "give a class code such as 2.4")
        }
        return code
    }

    /// Writes and logs one class in the caller's transaction (also an import's).
    static func putClass(_ item: ClassificationClass, actor: String, at now: Date, _ access: CatalogAccess) throws {
        if let parent = item.parent, try access.classificationClass(parent) == nil {
            throw DiariumError.invalid("code", "class \(item.code) goes under class \(parent), which does not exist: add \(parent) first")
        }
        try access.putClass(item)
        try access.appendAudit(at: now, actor: actor, action: .classSet, object: item.code, version: nil,
                               details: termsAuditDetails(item.retention).json)
        for (type, terms) in item.typeRules {
            try putClassRule(code: item.code, type: type, terms, actor: actor, at: now, access)
        }
    }

    static func putClassRule(code: String, type: RecordType, _ terms: RetentionTerms, actor: String, at now: Date,
                             _ access: CatalogAccess) throws {
        try access.putClassRule(code: code, type: type, terms)
        try access.appendAudit(at: now, actor: actor, action: .classRuleSet, object: "\(code)/\(type.rawValue)", version: nil,
                               details: termsAuditDetails(terms).json)
    }

    /// Removes a class no class, case or document (in any version) is classified under: records keep the class
    /// they were given, so a class in use stays.
    public func removeClass(_ code: String, actor: String, condition: SettingCondition<ClassificationClass>? = nil) throws(DiariumError) {
        let actor = try checkedActor(actor)
        let code = try Self.classCode(code)
        try store.catalog.write { access in
            guard let current = try access.classificationClass(code) else {
                throw DiariumError(.notFound, "class \(code) is not in the classification structure", field: "code")
            }
            try condition?(current)
            let use = try access.classUse(code)
            var users: [String] = []
            if use.subclasses > 0 { users.append("\(use.subclasses) class(es) under it") }
            if use.cases > 0 { users.append("\(use.cases) case(s)") }
            if use.documents > 0 { users.append("\(use.documents) document(s)") }
            guard users.isEmpty else {
                throw DiariumError(.invalidState, "class \(code) is in use by \(users.joined(separator: ", ")) and stays: "
                                   + "records keep the class they were given", field: "code")
            }
            // Its rules for record types go with it, each logged as going, so the log still says what is in force.
            let now = clock.now()
            for (type, _) in try Self.existingClass(code, access).typeRules {
                _ = try access.deleteClassRule(code: code, type: type)
                try access.appendAudit(at: now, actor: actor, action: .classRuleRemove, object: "\(code)/\(type.rawValue)", version: nil,
                                       details: "{}")
            }
            _ = try access.deleteClass(code)
            try access.appendAudit(at: now, actor: actor, action: .classRemove, object: code, version: nil, details: "{}")
        }
    }

    /// The whole structure in tree order (each class followed by those under it).
    public func classification() throws(DiariumError) -> [ClassificationClass] {
        try store.catalog.read { try $0.classificationScheme().ordered }
    }

    public func classificationClass(_ code: String) throws(DiariumError) -> ClassificationClass {
        let code = try Self.classCode(code)
        return try store.catalog.read { access in try Self.existingClass(code, access) }
    }

    /// A `class.set` or `class.rule.set` event's details: the rule (none: no rule of the class's own).
    static func termsAuditDetails(_ terms: RetentionTerms?) -> AuditDetails {
        var details = AuditDetails()
        if let terms {
            details["action"] = .string(terms.action.rawValue)
            if let years = terms.years { details["years"] = .int(Int64(years)) }
            details["mandate"] = .string(terms.mandate)
            if let schedule = terms.schedule { details["schedule"] = .string(schedule) }
        }
        return details
    }
}

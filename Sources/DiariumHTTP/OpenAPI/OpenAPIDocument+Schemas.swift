import DiariumCore
import DiariumServices

/// The JSON Schemas of the document (`components.schemas`): what each route reads and writes, described once and
/// referred to by `$ref`. The rules are the ones the types and `TextRules` enforce, so a value that matches a schema
/// is one the server accepts (within a field) and a value the server writes always matches.
extension OpenAPIDocument {
    /// Unicode general category Zs and the line and paragraph separators: what `TextRules` trims (with U+200B, and TAB,
    /// which is a control character and so never in a line).
    static let blank = #"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"#
    /// What no line may contain (`TextRules.checkCharacters`): general category Cc, the bidirectional overrides and
    /// isolates, and U+FFFE and U+FFFF, which XML cannot carry.
    static let control = #"\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff"#

    /// What `TextRules.isVisible` calls drawn as nothing (Default_Ignorable_Code_Point in the BMP), as a regular
    /// expression's class ranges, read from the same Unicode tables the rule uses so that the two never disagree.
    static let invisible: String = {
        var ranges: [(first: UInt32, last: UInt32)] = []
        for value in UInt32(0x80)...0xFFFF {
            guard let scalar = Unicode.Scalar(value), !TextRules.isVisible(scalar), scalar.properties.isDefaultIgnorableCodePoint else { continue }
            if let last = ranges.last, last.last == value - 1 { ranges[ranges.count - 1].last = value } else { ranges.append((value, value)) }
        }
        func escaped(_ value: UInt32) -> String {
            let hex = String(value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
        return ranges.map { $0.first == $0.last ? escaped($0.first) : escaped($0.first) + "-" + escaped($0.last) }.joined()
    }()

    /// A required single line (`TextRules.line`): some character that is not blank, not a control and not drawn as
    /// nothing (`TextRules.isVisible`). U+200B counts as blank here, since TextRules trims it too.
    static func line(_ maxLength: Int, _ description: String? = nil) -> JSON {
        var schema: JSON = ["type": "string", "minLength": 1, "maxLength": maxLength,
                            "pattern": "^[^\(control)]*[^\(control)\(blank)\\u200b\(invisible)][^\(control)]*$"]
        if let description { schema["description"] = description }
        return schema
    }

    /// A file's name (`TextRules.fileName`): a line that names one file, so no "/", and not "." or "..". `uploaded`: as a
    /// client names what it uploads, where a backslash (a Windows path) is refused too.
    static func fileName(_ description: String? = nil, uploaded: Bool = false) -> JSON {
        let separators = uploaded ? "/\\\\" : "/"
        var schema: JSON = ["type": "string", "minLength": 1, "maxLength": 255,
                            "pattern": "^[^\(control)\(separators)]*[^\(control)\(blank)\\u200b\(invisible)\(separators)][^\(control)\(separators)]*$",
                            "not": ["enum": [".", ".."]]]
        if let description { schema["description"] = description }
        return schema
    }

    /// An optional single line (`TextRules.optionalLine`): absent, null or blank mean "none".
    static func optionalLine(_ maxLength: Int, _ description: String? = nil) -> JSON {
        var schema: JSON = ["type": ["string", "null"], "maxLength": maxLength, "pattern": "^[^\(control)]*$"]
        if let description { schema["description"] = description }
        return schema
    }

    static func ref(_ name: String) -> JSON { ["$ref": "#/components/schemas/\(name)"] }
    static func nullable(_ name: String) -> JSON { ["anyOf": [ref(name), ["type": "null"]]] }
    static func array(_ items: JSON) -> JSON { ["type": "array", "items": items] }
    static func enumeration<E: CaseIterable & RawRepresentable>(_: E.Type, _ description: String) -> JSON where E.RawValue == String {
        ["type": "string", "enum": E.allCases.map(\.rawValue), "description": description]
    }

    /// An object of exactly these properties; `required` lists those always present.
    static func object(_ properties: JSON, required: [String], closed: Bool = true, description: String? = nil) -> JSON {
        var schema: JSON = ["type": "object", "properties": properties, "required": required.sorted()]
        if closed { schema["additionalProperties"] = false }
        if let description { schema["description"] = description }
        return schema
    }

    /// A PATCH body that asks for something: one of `fields` with a value, or one of `orClears` at all (null clears).
    static func givesOne(of fields: [String], orClears clearable: [String] = [], in schema: JSON) -> JSON {
        var schema = schema
        schema["anyOf"] = fields.map { field -> JSON in ["required": [field], "properties": [field: ["not": ["type": "null"]]]] }
            + clearable.map { field -> JSON in ["required": [field]] }
        return schema
    }

    static var int64: JSON { ["type": "integer", "minimum": 0, "maximum": Int64.max] }

    static var schemas: JSON {
        let series = "[A-Z][A-Z0-9]{0,11}"
        let caseNumber = "\(series) [1-9][0-9]{3}/[1-9][0-9]{0,8}"
        let time: JSON = ["type": "string", "format": "date-time", "pattern": #"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"#,
                          "description": "A time in UTC with milliseconds, e.g. 2026-03-01T09:00:00.000Z."]
        let sha256: JSON = ["type": "string", "pattern": "^[0-9a-f]{64}$", "description": "Lower-case hex SHA-256."]
        let count: JSON = ["type": "integer", "minimum": 0]
        let problem = object([
            "type": ["type": "string", "format": "uri", "description": "\(Problem.typeBase)<code>"],
            "title": ["type": "string"],
            "status": ["type": "integer", "minimum": 400, "maximum": 599],
            "detail": ["type": "string"],
            "instance": ["type": "string", "description": "The path of the request."],
            "code": ["type": "string", "pattern": "^[a-z0-9-]+$", "description": "Stable: clients match on it."],
            "field": ["type": "string", "description": "The parameter, header or field the problem is about."],
        ], required: ["type", "title", "status", "detail", "instance", "code"], description: "An RFC 9457 problem.")

        return [
            "Problem": problem,
            "Health": object(["status": ["type": "string", "enum": ["ok"]]], required: ["status"]),
            "SeriesCode": ["type": "string", "pattern": "^\(series)$", "description": "1–12 upper-case letters A–Z or digits, starting with a letter, e.g. KS."],
            "CaseNumber": ["type": "string", "pattern": "^\(caseNumber)$", "description": "SERIES YEAR/SERIAL, e.g. KS 2026/14."],
            "DocumentNumber": ["type": "string", "pattern": "^\(caseNumber)-[1-9][0-9]{0,8}$",
                               "description": "SERIES YEAR/SERIAL-ORDINAL, e.g. KS 2026/14-3."],
            "CalendarDate": ["type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                             "description": "A date without time or zone, e.g. 2026-03-01 (year 1000–9999)."],
            "Department": ["type": "string", "pattern": "^[A-Z0-9_-]{1,32}$", "description": "A department code as stored (upper case), e.g. KS."],
            "DepartmentInput": ["type": "string", "pattern": "^[\\t\(blank)]*[A-Za-z0-9_-]{1,32}[\\t\(blank)]*$",
                                "description": "A department code: 1–32 letters A–Z, digits, '-' or '_'; trimmed and upper-cased."],
            "Timestamp": time,
            "Sha256": sha256,
            "RecordType": enumeration(RecordType.self, "What kind of record a document is."),
            "RetentionAction": enumeration(RetentionRule.Action.self, "keep (bevaras) or dispose (gallras)."),
            "Direction": enumeration(Direction.self, "Incoming, outgoing or internal."),
            "DocumentStatus": enumeration(DocumentStatus.self, "draft → final → archived, never backwards."),
            "CaseStatus": enumeration(CaseStatus.self, "Whether the case takes new documents."),
            "ChangeKind": enumeration(ChangeKind.self, "Why a version was made."),
            "Role": enumeration(Role.self, "clerk, archivist or admin."),
            "RestrictionKind": enumeration(AccessRestriction.Kind.self, "The ground of a restriction."),
            "RestrictionPart": enumeration(AccessRestriction.Part.self, "A part of a document a restriction hides."),
            "Withheld": ["type": "string", "enum": [PublicEntry.Withheld.draft, .restricted, .disposed].map(\.rawValue),
                         "description": "Why content may not be downloaded."],
            "AuditAction": enumeration(AuditAction.self, "A stable audit action name."),

            "AccessRestriction": object([
                "kind": ref("RestrictionKind"),
                "legalReference": ["type": "string", "description": "The provision the restriction rests on, e.g. OSL 26 kap. 1 §."],
                "until": ref("CalendarDate"),
                "hides": ["type": "array", "items": ref("RestrictionPart"), "minItems": 1, "uniqueItems": true],
            ], required: ["kind", "legalReference", "hides"], description: "A restriction on public access (sekretessmarkering)."),
            "AccessRestrictionInput": object([
                "kind": ref("RestrictionKind"),
                "legalReference": line(200, "Required: a restriction rests on a provision, e.g. OSL 26 kap. 1 §."),
                "until": ["anyOf": [ref("CalendarDate"), ["type": "null"]],
                          "description": "The last day it applies; null: no end. Left out when correcting a document: the current end date stays if the kind and legal reference are the same."],
                "hides": ["anyOf": [["type": "array", "items": ref("RestrictionPart"), "minItems": 1], ["type": "null"]],
                          "description": "Default: content; when correcting a document that has a restriction, what that restriction hides."],
            ], required: ["kind", "legalReference"], description: "A restriction to set."),

            "Series": object(["code": ref("SeriesCode"), "name": ["type": "string"], "department": ref("Department"), "createdAt": ref("Timestamp")],
                             required: ["code", "name", "department", "createdAt"]),
            "RetentionRule": object([
                "series": ref("SeriesCode"), "recordType": ref("RecordType"), "action": ref("RetentionAction"),
                "years": ["type": "integer", "minimum": 0, "maximum": RetentionRule.maximumYears, "description": "Years after the case is closed (disposal only)."],
                "mandate": ["type": "string"], "schedule": ["type": "string"],
                "classCode": ["type": "string", "description": "Set when the rule is a class's of the classification structure."],
            ], required: ["series", "action", "mandate"],
               description: "A line of the retention schedule. Without recordType it is the series' default."),
            "RetentionTerms": object([
                "action": ref("RetentionAction"),
                "years": ["type": "integer", "minimum": 0, "maximum": RetentionRule.maximumYears, "description": "Years after the case is closed (disposal only)."],
                "mandate": ["type": "string"], "schedule": ["type": "string"],
            ], required: ["action", "mandate"], description: "A retention rule's terms: keep, or dispose of a number of years after the case is closed."),
            "ClassificationClass": object([
                "code": ["type": "string", "description": "Dotted parts placing it in the tree: 2.4.1 is under 2.4."],
                "title": ["type": "string"], "description": ["type": "string"],
                "retention": ref("RetentionTerms"),
                "typeRetention": ["type": "object", "propertyNames": ref("RecordType"), "additionalProperties": ref("RetentionTerms"),
                                  "description": "Rules for record types (left out when there are none), before the class's own rule."],
            ], required: ["code", "title"],
               description: "A class of the classification structure (klassificeringsstruktur). Its rule, when it has one, governs what is classified under it or below it (unless a class further down has its own) before the series' rules."),
            "ClassInput": object([
                "title": line(ClassificationClass.maxTitleLength, "The class's title, e.g. Bygglov."),
                "description": optionalLine(2000, "What the class covers."),
                "retention": nullable("RetentionRuleInput"),
            ], required: ["title"], description: "A class to add or replace; without retention it has no rule of its own. Its rules for record types (typeRetention) stay as they are: they are set and removed at /api/v1/classification/{code}/retention/{type}."),
            "DocumentDisposal": object([
                "at": ref("Timestamp"), "by": ["type": "string"], "dueAt": ref("Timestamp"), "ruleRecordType": ref("RecordType"),
                "ruleClass": ["type": "string", "description": "The class whose rule it was, when a class of the classification structure had one."],
                "years": ["type": "integer", "minimum": 0, "maximum": RetentionRule.maximumYears], "mandate": ["type": "string"],
                "schedule": ["type": "string"],
            ], required: ["at", "by", "dueAt", "years", "mandate"],
               description: "When, by whom and under which rule (as it stood then: ruleClass for a class's rule, else a series' rule; ruleRecordType when it was the rule for a record type, absent for the series' or class's own) the document was disposed of. Its content is gone; its registration stays."),
            "DueDisposal": object([
                "number": ref("DocumentNumber"), "recordType": ref("RecordType"), "caseClosedAt": ref("Timestamp"), "dueAt": ref("Timestamp"),
                "ruleRecordType": ["$ref": "#/components/schemas/RecordType",
                                   "description": "The record type its rule was set for (absent: the series' or the class's own rule)."],
                "years": ["type": "integer", "minimum": 0, "maximum": RetentionRule.maximumYears],
                "ruleClass": ["type": "string", "description": "The class whose rule it falls under, when a class of the classification structure has one."],
                "mandate": ["type": "string"], "schedule": ["type": "string"],
                "holds": ["type": "array", "items": ["type": "integer", "minimum": 1], "description": "Active legal holds that keep it."],
                "inTransit": ["type": "array", "items": ["type": "string"],
                              "description": "Control references of outbound interchanges waiting in the outbox for their receipt that carry it: disposal leaves it until they are answered or withdrawn."],
                "typeChangedAfterClosing": ["type": "boolean",
                                            "description": "Its record type or class (or its case's class) was changed after its case was closed: a run over everything due leaves it for review (name it to dispose of it)."],
            ], required: ["number", "recordType", "caseClosedAt", "dueAt", "years", "mandate", "holds", "inTransit", "typeChangedAfterClosing"],
               description: "A line of the disposal list."),
            "DisposalRecordLine": object([
                "day": ref("CalendarDate"), "series": ref("SeriesCode"), "recordType": ref("RecordType"),
                "documents": ["type": "integer", "minimum": 1],
                "firstCaseYear": ["type": "integer"], "lastCaseYear": ["type": "integer"],
                "ruleClass": ["type": "string", "description": "The class whose rule was applied (absent: a series' rule)."],
                "ruleRecordType": ["$ref": "#/components/schemas/RecordType",
                                   "description": "The record type the rule was set for (absent: the series' or the class's own rule)."],
                "years": ["type": "integer", "minimum": 0, "maximum": RetentionRule.maximumYears],
                "mandate": ["type": "string"], "schedule": ["type": "string"], "by": ["type": "string"],
            ], required: ["day", "series", "recordType", "documents", "firstCaseYear", "lastCaseYear", "years", "mandate", "by"],
               description: "A line of the disposal record: the documents of one series and record type disposed of on one day by one archivist under one rule."),
            "DisposalRequest": object([
                "documents": ["type": "array", "items": ref("DocumentNumber"), "minItems": 1, "maxItems": 1000, "uniqueItems": true,
                              "description": "Exactly these documents: each must be due and not held, else none is disposed of."],
                "due": ["type": "boolean", "description": "true: everything due now (in series) that no hold keeps."],
                "series": ref("SeriesCode"),
                "limit": ["type": "integer", "minimum": 1, "maximum": APIRoutes.DisposalBody.maximumLimit, "default": 1000,
                          "description": "With due: at most this many disposed of in this request; the report's more says to ask again."],
            ], required: []).merging(["oneOf": [
                ["required": ["documents"], "not": ["anyOf": [["required": ["series"]], ["required": ["limit"]],
                                                              ["properties": ["due": ["const": true]], "required": ["due"]]]]],
                ["required": ["due"], "properties": ["due": ["const": true]], "not": ["required": ["documents"]]],
            ]]) { a, _ in a },
            "DisposalReport": object([
                "disposed": array(ref("DocumentNumber")),
                "held": ["type": "array", "items": ref("DocumentNumber"), "description": "Due, but kept by a legal hold."],
                "inTransit": ["type": "array", "items": ref("DocumentNumber"),
                              "description": "Due, but carried by an interchange waiting in the outbox for its receipt."],
                "review": ["type": "array", "items": ref("DocumentNumber"),
                           "description": "Due, but left for review: the record type or class was changed after the case was closed."],
                "files": count, "bytes": ["type": "integer", "minimum": 0, "description": "Content files removed, and their bytes (content another document has stays)."],
                "filesLeft": ["type": "integer", "minimum": 0,
                              "description": "Files of disposed content that could not be removed yet: the next run removes them."],
                "more": ["type": "boolean", "description": "The run stopped at its limit: more may be due (ask again)."],
                "unpurged": ["type": "integer", "minimum": 0,
                             "description": "Disposals whose words the search index still holds (FTS5 keeps them until its segments are merged): the server merges the index in the background after this answer, and `diarium index status` shows what is left."],
                "backupsHoldingDisposedContent": ["type": "array", "items": ["type": "string"],
                                                  "description": "Backups the log records (`diarium backup`), still present on the server, that hold documents this run disposed of: the disposal covers copies too, so they are to be removed or rotated out. Absent when they could not be looked up."],
            ], required: ["disposed", "held", "inTransit", "review", "files", "bytes", "filesLeft", "more", "unpurged"]),
            "PartyID": ["type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,34}$", "description": "A party's id in exchanges."],
            "ControlReference": ["type": "string", "pattern": "^[A-Za-z0-9]{1,14}$", "description": "An interchange's control reference."],
            "InterchangeSend": ["oneOf": [
                object(["case": ref("CaseNumber"), "to": ref("PartyID")], required: ["case", "to"], description: "A case with all its documents."),
                object(["documents": ["type": "array", "items": ref("DocumentNumber"), "minItems": 1], "to": ref("PartyID")],
                       required: ["documents", "to"], description: "Chosen documents."),
            ]],
            "Interchange": object([
                "direction": ["type": "string", "enum": ["in", "out"]], "sender": ref("PartyID"), "recipient": ref("PartyID"),
                "controlReference": ref("ControlReference"), "messageType": enumeration(InterchangeMessageType.self, "What it carries."),
                "status": enumeration(InterchangeStatus.self, "queued → sent → delivered → accepted | rejected."),
                "references": array(ref("ControlReference")),
                "payloadSHA256": ["type": "string", "pattern": "^[0-9a-f]{64}$"], "payloadSize": ["type": "integer", "minimum": 0],
                "links": array(object(["senderNumber": ["type": "string"], "receiverNumber": ["type": "string"]],
                                      required: ["senderNumber", "receiverNumber"])),
                "diagnostics": array(object(["code": ["type": "string", "description": "Why it was rejected; or, accepted, what the receiver noted (received-before: a document it had received before)."],
                                             "message": ["type": "string"], "element": ["type": "string"],
                                             "file": ["type": "string"], "segment": ["type": "string"], "line": ["type": "integer"],
                                             "column": ["type": "integer"]], required: ["code", "message"])),
                "attempts": ["type": "integer", "minimum": 0], "lastError": ["type": "string"],
                "createdAt": ref("Timestamp"), "updatedAt": ref("Timestamp"), "withdrawnAt": ref("Timestamp"),
                "nextAttemptAt": ["$ref": "#/components/schemas/Timestamp",
                                  "description": "When the server delivers it again by itself. Absent for one still to be delivered: it waits for a person (resend or withdraw)."],
                "attemptUnderWay": ["type": "boolean",
                                    "description": "An attempt to deliver it is under way (or was cut off): nextAttemptAt is when its hold ends, and the server may try it again by itself then. In a withdrawal's answer: one was, and may still deliver it."],
                "failure": ["type": "string", "description": "Why this request's delivery attempt failed."],
            ], required: ["direction", "sender", "recipient", "controlReference", "messageType", "status", "references", "links",
                          "diagnostics", "attempts", "attemptUnderWay", "createdAt", "updatedAt"]),
            "NewHold": object([
                "target": ["anyOf": [ref("CaseNumber"), ref("DocumentNumber")],
                           "description": "A case number (the hold covers its documents) or a document number."],
                "reason": line(LegalHold.maxReasonLength, "Why (kept with the hold; the log seals it without saying it)."),
            ], required: ["target", "reason"]),
            "HoldRelease": object(["reason": line(LegalHold.maxReasonLength, "Why it is released (kept with the hold; the log seals it without saying it).")],
                                  required: ["reason"]),
            "LegalHold": object([
                "id": ["type": "integer", "minimum": 1], "scope": ["type": "string", "enum": ["case", "document"]],
                "number": ["type": "string"], "reason": ["type": "string"], "placedAt": ref("Timestamp"), "placedBy": ["type": "string"],
                "releasedAt": ref("Timestamp"), "releasedBy": ["type": "string"], "releaseReason": ["type": "string"],
            ], required: ["id", "scope", "number", "reason", "placedAt", "placedBy"],
               description: "A legal hold: while active (no releasedAt) nothing under it is disposed of."),
            "RetentionRuleInput": object([
                "action": ref("RetentionAction"),
                "years": ["type": ["integer", "null"], "minimum": 0, "maximum": RetentionRule.maximumYears,
                          "description": "Years after the case is closed: required to dispose, absent or null to keep."],
                "mandate": line(500, "The decision or regulation behind the rule (gallringsbeslut)."),
                "schedule": optionalLine(200, "The schedule the rule belongs to."),
            ], required: ["action", "mandate"]).merging(["oneOf": [
                ["properties": ["action": ["const": "keep"], "years": ["type": "null"]]],
                ["properties": ["action": ["const": "dispose"], "years": ["type": "integer"]], "required": ["years"]],
            ]]) { $1 },
            "SeriesPatch": object(["department": ref("DepartmentInput")], required: ["department"]),
            "NewSeries": object(["code": ref("SeriesCode"), "name": line(200), "department": nullable("DepartmentInput")],
                                required: ["code", "name"]),
            "Case": object([
                "number": ref("CaseNumber"), "title": ["type": "string"], "publicTitle": ["type": "string"],
                "restriction": ref("AccessRestriction"),
                "classification": ["type": "string"], "status": ref("CaseStatus"), "department": ["type": "string"],
                "officer": ["type": "string"], "openedAt": ref("Timestamp"), "closedAt": ref("Timestamp"), "documentCount": count,
                "redacted": ["type": "array", "items": ["type": "string", "enum": ["title"]], "uniqueItems": true,
                             "description": "Left out for this reader: a restricted title is shown only to readers with clearance for the case's department (cases opened before grounds were recorded have a public title and no restriction; their title is hidden too)."],
            ], required: ["number", "status", "openedAt", "documentCount", "redacted"]),
            "NewCase": object([
                "series": ref("SeriesCode"), "title": line(1000),
                "publicTitle": optionalLine(1000, "Shown to the public instead of the title; needs restriction."),
                "restriction": nullable("CaseRestrictionInput"), "classification": nullable("Classification"),
                "department": optionalLine(200, "The responsible department (free text)."), "officer": optionalLine(200, "Handläggare."),
            ], required: ["series", "title"]).merging(["anyOf": [
                // A public title (not blank) stands in for a restricted title: it comes with the restriction's ground.
                ["properties": ["publicTitle": ["anyOf": [["type": "null"], ["type": "string", "pattern": "^[\(blank)]*$"]]]]],
                ["properties": ["restriction": ["type": "object"]], "required": ["restriction"]],
            ]]) { $1 },
            "CasePatch": givesOne(of: ["title"], orClears: ["publicTitle", "restriction", "classification", "department", "officer"], in: object([
                "title": line(1000, "Absent: unchanged; it cannot be cleared (null is a 400)."),
                "publicTitle": optionalLine(1000, "null: cleared. Needs the title to be restricted."),
                "restriction": nullable("CaseRestrictionInput"), "classification": nullable("Classification"),
                "department": optionalLine(200), "officer": optionalLine(200),
            ], required: [], description: "Absent fields stay; null clears an optional field. A null restriction makes the title public and drops the public title. A public title on a case whose title is not restricted is a 400.")),
            "CaseRevision": object([
                "n": ["type": "integer", "minimum": 1], "replacedAt": ref("Timestamp"), "replacedBy": ["type": "string"],
                "title": ["type": "string"], "publicTitle": ["type": "string"], "restriction": ref("AccessRestriction"),
                "classification": ["type": "string"], "department": ["type": "string"], "officer": ["type": "string"],
                "redacted": ["type": "array", "items": ["type": "string", "enum": ["title"]], "uniqueItems": true,
                             "description": "Left out for this reader: a title withheld then or by any later description."],
            ], required: ["n", "replacedAt", "replacedBy", "redacted"], description: "A case's description until correction n replaced it."),
            "CaseHistory": object(["case": ref("Case"), "revisions": array(ref("CaseRevision"))], required: ["case", "revisions"]),
            "EndedRestriction": object([
                "number": ["type": "string", "description": "A case or document number."],
                "holder": ["type": "string", "enum": ["case", "document"]],
                "restriction": ref("AccessRestriction"),
            ], required: ["number", "holder", "restriction"]),
            "CaseRestrictionInput": object([
                "kind": ref("RestrictionKind"),
                "legalReference": line(200, "Required: a restriction rests on a provision, e.g. OSL 26 kap. 1 §."),
                "until": ["anyOf": [ref("CalendarDate"), ["type": "null"]],
                          "description": "The last day it applies; null: no end. Left out when correcting a case: the current end date stays if the kind and legal reference are the same."],
                "hides": ["anyOf": [["type": "array", "items": ["const": "title"], "minItems": 1], ["type": "null"]],
                          "description": "A case's restriction hides its title only."],
            ], required: ["kind", "legalReference"], description: "The ground a case's title is withheld on."),
            "Classification": ["type": "string", "maxLength": 64,
                               "pattern": "^[\(blank)]*([A-Za-z0-9]+(\\.[A-Za-z0-9]+)*)?[\(blank)]*$",
                               "description": "A classification code such as 2.4 or 1.2.3 (blank: none). The server also takes non-ASCII letters in a part, which the pattern leaves out."],
            "CaseView": object(["case": ref("Case"), "documents": array(ref("Document")),
                                "nextAfter": ["type": "integer", "minimum": 1,
                                              "description": "More documents follow: ask again with after set to this ordinal."]],
                               required: ["case", "documents"]),

            "DocumentContent": object([
                "available": ["type": "boolean"], "withheld": ref("Withheld"), "sha256": ref("Sha256"), "size": count,
                "mediaType": ["type": "string"], "originalName": ["type": "string"],
            ], required: ["available"], description: "The content as this reader may see it; details only when available."),
            "Document": object([
                "number": ref("DocumentNumber"), "caseNumber": ref("CaseNumber"), "registeredAt": ref("Timestamp"),
                "originalNumber": ["type": "string", "description": "The document's number where it came from, when it was imported or received under a number of this store."],
                "originalCaseNumber": ["type": "string", "description": "Its case's number there."],
                "registeredBy": ["type": "string"], "version": ["type": "integer", "minimum": 1], "currentVersion": ["type": "integer", "minimum": 1],
                "change": ref("ChangeKind"), "author": ["type": "string"], "createdAt": ref("Timestamp"), "comment": ["type": "string"],
                "status": ref("DocumentStatus"), "title": ["type": "string"], "publicTitle": ["type": "string"], "recordType": ref("RecordType"),
                "direction": ref("Direction"), "documentDate": ref("CalendarDate"), "sender": ["type": "string"], "recipient": ["type": "string"],
                "classification": ["type": "string"], "restriction": ref("AccessRestriction"), "content": ref("DocumentContent"),
                "redacted": ["type": "array", "items": ref("RestrictionPart"), "uniqueItems": true,
                             "description": "What was left out for this reader (hidden, not empty)."],
                "disposal": ref("DocumentDisposal"),
            ], required: ["number", "caseNumber", "registeredAt", "registeredBy", "version", "currentVersion", "change", "author",
                          "createdAt", "status", "recordType", "direction", "redacted"],
               description: "A document version as this reader may see it."),
            "NewDocument": object([
                "case": ref("CaseNumber"), "title": line(1000), "publicTitle": optionalLine(1000), "recordType": ref("RecordType"),
                "direction": nullable("Direction"), "documentDate": nullable("CalendarDate"), "sender": optionalLine(500),
                "recipient": optionalLine(500), "classification": nullable("Classification"), "restriction": nullable("AccessRestrictionInput"),
            ], required: ["case", "title", "recordType"], description: "The metadata of a document to register.").merging(["anyOf": [
                // A public title (not blank) stands in for a hidden title: its restriction hides the title.
                ["properties": ["publicTitle": ["anyOf": [["type": "null"], ["type": "string", "pattern": "^[\(blank)]*$"]]]]],
                ["properties": ["restriction": ["type": "object", "properties": ["hides": ["type": "array", "contains": ["const": "title"]]],
                                                "required": ["hides"]]],
                 "required": ["restriction"]],
            ]]) { $1 },
            "DocumentUpload": object([
                "metadata": ref("NewDocument"),
                "file": ["type": "string", "contentMediaType": "application/octet-stream", "description": "The content (optional)."],
            ], required: ["metadata"]),
            "MetadataPatch": givesOne(of: ["title", "recordType", "direction"], orClears: ["publicTitle", "documentDate", "sender", "recipient", "classification", "restriction"], in: object([
                "title": line(1000, "Absent: unchanged; it cannot be cleared (null is a 400)."),
                "publicTitle": optionalLine(1000, "null: cleared. Needs a restriction that hides the title; goes when the title is no longer hidden."), "recordType": ref("RecordType"), "direction": ref("Direction"),
                "documentDate": nullable("CalendarDate"), "sender": optionalLine(500), "recipient": optionalLine(500),
                "classification": nullable("Classification"), "restriction": nullable("AccessRestrictionInput"),
                "comment": optionalLine(1000, "Why the metadata changed."),
            ], required: [], description: "Absent fields stay; null clears an optional field (title, recordType and direction cannot be cleared: null there is a 400). At least one field other than comment must be given; a change to the values the document already has is a 400.")),
            "Comment": object(["comment": optionalLine(1000)], required: []),

            "PublicContent": object([
                "available": ["type": "boolean"], "withheld": ref("Withheld"), "mediaType": ["type": "string"], "size": count,
            ], required: ["available"]),
            "PublicEntry": object([
                "number": ref("DocumentNumber"), "registeredAt": ref("Timestamp"), "documentDate": ref("CalendarDate"),
                "recordType": ref("RecordType"), "direction": ref("Direction"), "status": ref("DocumentStatus"), "title": ["type": "string"],
                "sender": ["type": "string"], "recipient": ["type": "string"], "classification": ["type": "string"],
                "restriction": ref("AccessRestriction"), "content": ref("PublicContent"),
            ], required: ["number", "registeredAt", "recordType", "direction", "status"],
               description: "A document as the public diarium shows it."),
            "PublicDiariumPage": object(["documents": array(ref("PublicEntry")), "nextCursor": ["type": "string"]], required: ["documents"]),
            "PublicCase": object([
                "number": ref("CaseNumber"), "title": ["type": "string"], "restriction": ref("AccessRestriction"),
                "classification": ["type": "string"], "status": ref("CaseStatus"), "department": ["type": "string"],
                "officer": ["type": "string"], "openedAt": ref("Timestamp"), "closedAt": ref("Timestamp"), "documentCount": count,
                "redacted": ["type": "array", "items": ["type": "string", "enum": ["title"]], "uniqueItems": true,
                             "description": "[title] when the title is restricted: title is then the public title, or absent."],
            ], required: ["number", "status", "openedAt", "documentCount", "redacted"],
               description: "A case as the public diarium shows it: a restricted title is left out, its ground shown instead."),
            "PublicCasePage": object(["case": ref("PublicCase"), "documents": array(ref("PublicEntry")), "nextCursor": ["type": "string"]],
                                     required: ["case", "documents"]),

            "SearchHit": object([
                "number": ref("DocumentNumber"),
                "title": ["type": "string", "description": "The public title where the title is restricted for this reader; left out when there is none."],
                "recordType": ref("RecordType"), "direction": ref("Direction"),
                "status": ref("DocumentStatus"), "documentDate": ref("CalendarDate"), "registeredAt": ref("Timestamp"),
                "classification": ["type": "string"], "restriction": ref("RestrictionKind"), "legalReference": ["type": "string"],
                "snippet": ["type": "string", "description": "Text around the matches, the matched words between [ and ] (brackets in the text are left as they are: for reading, not parsing)."],
            ], required: ["number", "recordType", "direction", "status", "registeredAt"]),
            "FacetCount": object(["value": ["type": "string"], "count": count], required: ["value", "count"]),
            "SearchFacets": object([
                "type": array(ref("FacetCount")), "series": array(ref("FacetCount")), "status": array(ref("FacetCount")),
                "year": array(ref("FacetCount")), "exact": ["type": "boolean"],
            ], required: ["type", "series", "status", "year", "exact"]),
            "SearchResult": object([
                "hits": array(ref("SearchHit")), "total": count, "totalIsExact": ["type": "boolean"],
                "order": ["type": "string", "enum": [SearchResult.Order.relevance, .newest].map(\.rawValue)], "note": ["type": "string"], "facets": ref("SearchFacets"),
                "nextCursor": ["type": "string"],
            ], required: ["hits", "total", "totalIsExact", "order"]),

            "AuditEvent": object([
                "sequence": ["type": "integer", "minimum": 1], "at": ref("Timestamp"), "actor": ["type": "string"], "action": ref("AuditAction"),
                "object": ["type": "string"], "version": ["type": "integer", "minimum": 1],
                "details": ["type": "string", "description": "Compact JSON with what changed."],
                "previousHash": ["type": "string", "description": "Chain hashes: shown to archivists only."],
                "hash": ["type": "string", "description": "Chain hashes: shown to archivists only."],
                "redacted": ["type": "boolean", "description": "The content digest and size were left out of details: the reader may not download that content."],
            ], required: ["sequence", "at", "actor", "action", "object", "details"]),
            "VerifyProblem": object(["code": ["type": "string"], "object": ["type": "string"], "message": ["type": "string"]],
                                    required: ["code", "object", "message"]),
            "VerifyReport": object([
                "problems": array(ref("VerifyProblem")), "orphanBlobs": array(["type": "string"]), "blobsChecked": count,
                "bytesChecked": count, "auditEventsChecked": count, "auditHead": ["type": "string"],
                "skipped": array(["type": "string"]),
            ], required: ["problems", "orphanBlobs", "blobsChecked", "bytesChecked", "auditEventsChecked", "skipped"]),

            "PackageFormat": ["type": "string", "enum": ["eark-tar", "eark-zip", "bagit"],
                              "description": "E-ARK SIP as tar or zip, or a BagIt bag (tar) around it."],
            "NewExport": {
                var schema = object([
                    "series": ref("SeriesCode"), "year": ["type": "integer", "minimum": 1000, "maximum": 9999],
                    "case": ref("CaseNumber"), "query": line(1000, "A search (full view): its documents with their cases."),
                    "format": ref("PackageFormat"), "versions": ["type": "string", "enum": ["final", "all"], "default": "all"],
                    "organisation": ref("OrganisationInput"), "submitter": ref("OrganisationInput"), "archive": ref("OrganisationInput"),
                    "submissionAgreement": ["type": "string", "maxLength": 200, "pattern": "^[^\(control)]*$"],
                    "referenceCode": ["type": "string", "maxLength": 200, "pattern": "^[^\(control)]*$"],
                ], required: [], description: "Exactly one of series (with an optional year), case or query. The package names "
                    + "organisation as archival creator (default: the store's, GET /api/v1/organisation), submitter as the "
                    + "organisation submitting it (default: the archival creator), archive as the one preserving it; blank "
                    + "submissionAgreement and referenceCode mean none.")
                func only(_ field: String, excluding others: [String]) -> JSON {
                    ["required": [field], "not": ["anyOf": others.map { ["required": [$0]] }]]
                }
                schema["oneOf"] = [only("series", excluding: ["case", "query"]), only("case", excluding: ["series", "query", "year"]),
                                   only("query", excluding: ["series", "case", "year"])]
                return schema
            }(),
            "BackupEntry": object([
                "at": ref("Timestamp"), "by": ["type": "string"], "destination": ["type": "string"],
                "auditHead": ["type": "integer", "minimum": 0, "description": "The newest audit event in the copy."],
                "present": ["type": "boolean", "description": "Whether something is still at destination."],
                "disposedSince": count,
            ], required: ["at", "by", "destination", "auditHead", "present", "disposedSince"],
               description: "A backup: a copy still present that holds documents disposed of since is to be removed or rotated out."),
            "Organisation": object(["name": ["type": "string"], "code": ["type": "string", "description": "With its scheme: ORG:2120001355 (an organisationsnummer), VAT:…"]],
                                   required: ["name"], description: "An organisation a package names: archival creator (arkivbildare), submitter or archive."),
            "OrganisationInput": object([
                "name": line(200),
                "code": ["type": "string", "maxLength": 100,
                         // Trimmed as TextRules trims (U+200B too).
                         "pattern": "^[\(blank)\\u200b]*(?:(?:ORG:)?[0-9]{6}-?[0-9]{4}|[A-Za-z0-9]+:[^\(control)\(blank)]+)?[\(blank)\\u200b]*$",
                         "description": "An organisationsnummer (NNNNNN-NNNN, its check digit checked; written ORG:NNNNNNNNNN) or a code with its scheme (VAT:SE212000135501). Blank: none."],
            ], required: ["name"]),
            "ArchiveProgress": object(["phase": ["type": "string"], "done": count, "total": count, "bytesDone": count, "bytesTotal": count],
                                      required: ["phase", "done", "total", "bytesDone", "bytesTotal"]),
            "ExportJob": object([
                "id": ["type": "string"], "status": ["type": "string", "enum": ["queued", "running", "done", "failed"]],
                "selection": ["type": "string"], "format": ref("PackageFormat"), "versions": ["type": "string", "enum": ["final", "all"]],
                "requestedBy": ["type": "string"], "createdAt": ref("Timestamp"), "finishedAt": ref("Timestamp"),
                "progress": ref("ArchiveProgress"), "packageID": ["type": "string"], "cases": count, "documents": count,
                "restrictedDocuments": count,
                "formats": array(ref("FormatCount")),
                "unidentifiedFiles": count,
                "unidentified": ["type": "array", "items": ["type": "string"], "maxItems": 100,
                                 "description": "The first 100 versions whose content has no PRONOM identifier, e.g. \"KS 2026/1-3 v1\"."],
                "size": count, "sha256": sha256, "error": ["type": "string"], "download": ["type": "string"],
                "withdrawn": ["type": "boolean", "description": "Its package was withdrawn: a disposal since took content it held (410 for the package)."],
            ], required: ["id", "status", "selection", "format", "versions", "requestedBy", "createdAt"]),
            "FileFormat": object([
                "puid": ["type": "string", "description": "PRONOM unique identifier, e.g. fmt/354."], "name": ["type": "string"],
                "version": ["type": "string"],
                "basis": ["type": "string", "enum": ["signature", "container", "extension"],
                          "description": "How it was told: PRONOM's signature, its container signature (a zip's parts), or the file name's extension only."],
            ], required: ["puid", "name", "basis"], description: "A format as the PRONOM registry names it."),
            "FormatFinding": object([
                "format": ["oneOf": [ref("FileFormat"), ["type": "null"]], "description": "null: no signature matched."],
                "current": ["type": "boolean", "description": "Whether the signatures in use found it (false: an earlier release did)."],
            ], required: ["format", "current"]),
            "TextRendition": object([
                "status": ["type": "string", "enum": TextRendition.Status.allCases.map(\.rawValue)],
                "extractor": ["type": "string"], "message": ["type": "string"],
                "length": ["type": "integer", "minimum": 0, "description": "Characters of text stored for searching."],
            ], required: ["status", "extractor", "length"],
               description: "How a content's text was extracted for search: extracted, empty, truncated (the rest not searchable), unsupported (metadata only) or failed, with why."),
            "ContentInfo": object([
                "number": ref("DocumentNumber"), "version": ["type": "integer", "minimum": 1], "sha256": sha256, "size": count,
                "mediaType": ["type": "string"],
                "format": ref("FormatFinding"), "text": ref("TextRendition"),
            ], required: ["number", "version", "sha256", "size", "mediaType"],
               description: "A content's format (absent until looked at: `diarium formats identify`) and text rendition (absent until extracted: `diarium index rebuild --extract`)."),
            "FormatCount": object(["format": ref("FileFormat"), "files": count], required: ["format", "files"],
                                  description: "Content files of an export in one PRONOM format (as the package's PREMIS names it)."),
            "FormatlessDocument": object([
                "number": ref("DocumentNumber"),
                "state": ["type": "string", "enum": FormatTally.State.allCases.filter { $0 != .identified }.map(\.rawValue)],
                "mediaType": ["type": "string"], "originalName": ["type": "string"], "size": count,
            ], required: ["number", "state", "mediaType", "originalName", "size"],
               description: "A document whose current content's format is not known: no signature matched, or not looked at yet."),
            "FormatTally": object([
                "series": ref("SeriesCode"),
                "state": ["type": "string", "enum": FormatTally.State.allCases.map(\.rawValue),
                          "description": "identified: a signature matched; unidentified: none did; pending: not looked at with the signatures in use (`diarium formats identify`)."],
                "format": ref("FileFormat"),
                "mediaType": ["type": "string", "description": "The declared media type, when the format is not known."],
                "documents": count, "bytes": count,
            ], required: ["series", "state", "documents", "bytes"],
               description: "The current content of a series' documents (those disposed of left out) in one format."),
            "PackageDiagnostic": object([
                "severity": ["type": "string", "enum": ["error", "warning"]], "file": ["type": "string"],
                "line": ["type": "integer", "minimum": 0,
                         "description": "The line of `file` the problem is on; 0 for one no single line holds (a whole-package finding, such as the classes taken over)."],
                "element": ["type": "string"], "message": ["type": "string"],
            ], required: ["severity", "file", "line", "message"]),
            "ImportReport": object([
                "packageID": ["type": "string"], "dryRun": ["type": "boolean"], "kind": ["type": "string", "enum": ["diarium", "foreign"]],
                "cases": array(object(["original": ["type": "string"], "assigned": ["type": "string"]], required: ["original", "assigned"])),
                "documents": count, "versions": count, "files": count, "contentBytes": count,
                "diagnostics": array(ref("PackageDiagnostic")), "mapped": array(["type": "string"]),
                "keptAsOriginal": array(["type": "string"]), "auditSequence": ["type": "integer", "minimum": 1],
                "retention": array(["type": "string"]), "classes": array(["type": "string"]),
                "holds": array(["type": "string", "description": "A legal hold active where the package was made, placed again on the same records here."]),
                "agents": array(ref("PackageAgent")),
            ], required: ["packageID", "dryRun", "kind", "cases", "documents", "versions", "files", "contentBytes", "diagnostics",
                          "mapped", "keptAsOriginal", "retention", "classes", "holds", "agents"]),
            "PackageAgent": object([
                "role": ["type": "string", "description": "METS ROLE, or OTHERROLE where ROLE is OTHER: ARCHIVIST (archival creator), SUBMITTER, PRESERVATION, CREATOR …"],
                "type": ["type": "string", "description": "METS TYPE, or OTHERTYPE where TYPE is OTHER: ORGANIZATION, INDIVIDUAL, SOFTWARE …"],
                "name": ["type": "string"], "code": ["type": "string", "description": "Its IDENTIFICATIONCODE note."],
            ], required: ["role", "type", "name"], description: "An agent the package's METS header names."),

            "Principal": object(["name": ["type": "string"], "role": ref("Role"), "departments": array(ref("Department"))],
                                required: ["name", "role", "departments"]),
            "User": object([
                "name": ["type": "string"], "role": ref("Role"), "departments": array(ref("Department")), "createdAt": ref("Timestamp"),
                "disabledAt": ref("Timestamp"),
            ], required: ["name", "role", "departments", "createdAt"]),
            "NewUser": object([
                "name": ["type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[\(blank)]*[A-Za-z0-9._@-]+[\(blank)]*$",
                         "description": "Letters, digits and . _ - @ (the audit log names the user by it). The server also takes non-ASCII letters and digits, which the pattern leaves out: JSON Schema has no portable Unicode classes."],
                "role": ref("Role"), "departments": ["anyOf": [array(ref("DepartmentInput")), ["type": "null"]]],
            ], required: ["name", "role"]),
            "UserPatch": givesOne(of: ["role", "departments", "enabled"], in: object([
                "role": nullable("Role"), "departments": ["anyOf": [array(ref("DepartmentInput")), ["type": "null"]]],
                "enabled": ["type": ["boolean", "null"]],
            ], required: [], description: "Absent or null: unchanged. At least one field must be given; a change to the values the user already has is a 400.")),
            "TokenInfo": object([
                "id": ["type": "integer", "minimum": 1], "user": ["type": "string"], "prefix": ["type": "string"], "label": ["type": "string"],
                "createdAt": ref("Timestamp"), "revokedAt": ref("Timestamp"),
                "createdBy": ["type": "string", "description": "Who issued it (its token.create event): a token issued by someone else has been in their hands."],
                "expiresAt": ["allOf": [ref("Timestamp")], "description": "When it stops being accepted; absent: until revoked."],
                "lastUsedAt": ["allOf": [ref("Timestamp")],
                               "description": "When a server last accepted it, to the minute (a server writes a token's use at most once a minute); absent: never."],
            ], required: ["id", "user", "prefix", "createdAt"]),
            "NewToken": object(["label": optionalLine(200, "A note to tell tokens apart."),
                                "validDays": ["type": ["integer", "null"], "minimum": 1, "maximum": TokenInfo.maxValidDays,
                                              "description": "Accepted for this many days; absent or null: until revoked."]],
                               required: []),
            "CreatedToken": object(["token": ["type": "string", "description": "The secret, shown this once."], "info": ref("TokenInfo")],
                                   required: ["token", "info"]),
        ]
    }
}

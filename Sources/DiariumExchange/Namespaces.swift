/// XML namespaces of the formats Diarium writes and reads (E-ARK CSIP/SIP 2.1 = FGS Paketstruktur 2.0,
/// CITS ERMS = FGS Ärendehantering 2.0, PREMIS 3) and of its own exchange envelope.
public enum Namespace {
    public static let mets = "http://www.loc.gov/METS/"
    public static let xlink = "http://www.w3.org/1999/xlink"
    public static let xsi = "http://www.w3.org/2001/XMLSchema-instance"
    public static let csip = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
    public static let sip = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
    public static let erms = "https://DILCIS.eu/XML/ERMS"
    public static let premis = "http://www.loc.gov/premis/v3"
}

/// The envelope's XSD, compiled once per process (`Envelope.validator`).
///
/// Embedded as a string rather than shipped as a SwiftPM resource: `diarium` is one self-contained binary, and
/// `Bundle.module` on Linux looks for a resource directory beside the executable (and traps when it is missing), which
/// an installed or copied binary does not have. `Schemas/exchange/envelope-1.xsd` stays the source of truth: a test
/// (EnvelopeTests.embeddedSchemaMatchesTheFile) fails when this copy differs from it. To update, replace the text
/// between the delimiters with the file's content (plus the empty line before the closing delimiter).
enum EnvelopeSchema {
    static let fileName = "envelope-1.xsd"

    static let text = #"""
<?xml version="1.0" encoding="UTF-8"?>
<!--
  Diarium exchange envelope, version 1.

  An interchange between two Diarium installations (departments, municipalities) is an E-ARK package plus this
  envelope. A receipt is an envelope of its own, with messageType "receipt", that refers to the interchange it answers.
  The envelope is validated against this schema before anything in it is used.
-->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:ex="urn:x-diarium:exchange:1"
           targetNamespace="urn:x-diarium:exchange:1"
           elementFormDefault="qualified"
           attributeFormDefault="unqualified"
           version="1">

  <xs:element name="interchange" type="ex:Interchange"/>

  <xs:complexType name="Interchange">
    <xs:sequence>
      <xs:element name="sender" type="ex:PartyID"/>
      <xs:element name="recipient" type="ex:PartyID"/>
      <!-- Unique per sender; the same on every resend of one interchange. -->
      <xs:element name="controlReference" type="ex:ControlReference"/>
      <xs:element name="created" type="ex:UTCDateTime"/>
      <xs:element name="messageType" type="ex:MessageType"/>
      <!-- Earlier interchanges this one refers to; a receipt names the one it answers. -->
      <xs:element name="references" minOccurs="0">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="reference" type="ex:ControlReference" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:choice>
        <!-- caseTransfer and documentDelivery: the package that travels beside the envelope. -->
        <xs:element name="payload" type="ex:Payload"/>
        <!-- receipt: what the receiver did with the interchange. -->
        <xs:element name="receipt" type="ex:Receipt"/>
      </xs:choice>
    </xs:sequence>
    <xs:attribute name="version" type="xs:string" use="required" fixed="1"/>
  </xs:complexType>

  <xs:complexType name="Payload">
    <xs:attribute name="name" type="ex:FileName" use="required"/>
    <xs:attribute name="size" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="sha256" type="ex:SHA256" use="required"/>
    <xs:attribute name="format" type="ex:PayloadFormat" use="required"/>
  </xs:complexType>

  <xs:complexType name="Receipt">
    <xs:sequence>
      <!-- accepted: each sender number with the number the receiver registered it under. -->
      <xs:element name="assigned" type="ex:NumberLink" minOccurs="0" maxOccurs="unbounded"/>
      <!-- rejected: why; each names the element, file or segment it is about. -->
      <xs:element name="diagnostic" type="ex:Diagnostic" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:attribute name="status" type="ex:ReceiptStatus" use="required"/>
    <!-- SHA-256 of the payload the receipt is about, so a sender can tell which delivery it answers. -->
    <xs:attribute name="payloadSha256" type="ex:SHA256" use="optional"/>
  </xs:complexType>

  <xs:complexType name="NumberLink">
    <xs:attribute name="senderNumber" type="ex:RecordNumber" use="required"/>
    <xs:attribute name="receiverNumber" type="ex:RecordNumber" use="required"/>
  </xs:complexType>

  <xs:complexType name="Diagnostic">
    <xs:simpleContent>
      <xs:extension base="ex:Line">
        <xs:attribute name="code" type="xs:NCName" use="required"/>
        <xs:attribute name="element" type="ex:Line" use="optional"/>
        <xs:attribute name="file" type="ex:Line" use="optional"/>
        <xs:attribute name="segment" type="ex:Line" use="optional"/>
        <xs:attribute name="line" type="xs:positiveInteger" use="optional"/>
        <xs:attribute name="column" type="xs:positiveInteger" use="optional"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>

  <xs:simpleType name="PartyID">
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Za-z0-9][A-Za-z0-9._\-]{0,34}"/>
    </xs:restriction>
  </xs:simpleType>

  <!-- Letters and digits, at most 14: the same value serves as the EDIFACT UNB interchange control reference. -->
  <xs:simpleType name="ControlReference">
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Za-z0-9]{1,14}"/>
    </xs:restriction>
  </xs:simpleType>

  <!-- UTC with milliseconds, as Diarium stores times: 2026-03-01T09:00:00.000Z -->
  <xs:simpleType name="UTCDateTime">
    <xs:restriction base="xs:dateTime">
      <xs:pattern value="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="MessageType">
    <xs:restriction base="xs:string">
      <xs:enumeration value="caseTransfer"/>
      <xs:enumeration value="documentDelivery"/>
      <xs:enumeration value="receipt"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="ReceiptStatus">
    <xs:restriction base="xs:string">
      <xs:enumeration value="accepted"/>
      <xs:enumeration value="rejected"/>
    </xs:restriction>
  </xs:simpleType>

  <!-- eark-sip: an E-ARK SIP (METS + ERMS + content); edifact: a UN/EDIFACT interchange (see EDIFACT.md). -->
  <xs:simpleType name="PayloadFormat">
    <xs:restriction base="xs:string">
      <xs:enumeration value="eark-sip"/>
      <xs:enumeration value="edifact"/>
    </xs:restriction>
  </xs:simpleType>

  <xs:simpleType name="SHA256">
    <xs:restriction base="xs:string">
      <xs:pattern value="[0-9a-f]{64}"/>
    </xs:restriction>
  </xs:simpleType>

  <!-- A case number (KS 2026/14) or a document number (KS 2026/14-3). -->
  <xs:simpleType name="RecordNumber">
    <xs:restriction base="xs:string">
      <xs:pattern value="[A-Z][A-Z0-9]{0,11} [1-9][0-9]{3}/[1-9][0-9]{0,8}(-[1-9][0-9]{0,8})?"/>
    </xs:restriction>
  </xs:simpleType>

  <!-- A file name inside a package or beside it: no directory part. -->
  <xs:simpleType name="FileName">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="255"/>
      <xs:pattern value="[^/\\]+"/>
    </xs:restriction>
  </xs:simpleType>

  <!-- One line of text: not empty, no line breaks or tabs. -->
  <xs:simpleType name="Line">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
      <xs:maxLength value="2000"/>
      <xs:pattern value="[^\t\n\r]+"/>
    </xs:restriction>
  </xs:simpleType>
</xs:schema>

"""#
}

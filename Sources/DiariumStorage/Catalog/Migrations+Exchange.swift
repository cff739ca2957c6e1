extension Migrations {
    /// Department exchange (#6): the parties we exchange with, and every interchange in the inbox and the outbox.
    static let v5Exchange = """
        -- A party we exchange records with. `outbound_token` is the bearer token we present to its inbox; it must be
        -- kept readable to be sent. What the party presents to us is kept only as a SHA-256 (by default of the same
        -- shared token). Neither ever leaves the catalog except in an Authorization header.
        CREATE TABLE parties (
            party_id             TEXT PRIMARY KEY CHECK (length(party_id) BETWEEN 1 AND 35
                                     AND party_id GLOB '[A-Za-z0-9]*' AND NOT party_id GLOB '*[^A-Za-z0-9._-]*'),
            name                 TEXT NOT NULL CHECK (length(trim(name)) > 0),
            url                  TEXT CHECK (url IS NULL OR url GLOB 'http://*' OR url GLOB 'https://*'),
            outbound_token       TEXT CHECK (outbound_token IS NULL OR length(outbound_token) > 0),
            inbound_token_sha256 TEXT CHECK (inbound_token_sha256 IS NULL
                                     OR (length(inbound_token_sha256) = 64 AND NOT inbound_token_sha256 GLOB '*[^0-9a-f]*')),
            receiving_series     TEXT REFERENCES series(code),
            created_at           TEXT NOT NULL,
            updated_at           TEXT NOT NULL
        ) WITHOUT ROWID;

        -- One row per interchange and direction. The sender's control reference is unique per sender: a resend of
        -- the same interchange finds its row instead of making a second one.
        CREATE TABLE interchanges (
            id                INTEGER PRIMARY KEY,
            direction         TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            sender_party      TEXT NOT NULL,
            recipient_party   TEXT NOT NULL,
            peer_party        TEXT NOT NULL REFERENCES parties(party_id),
            control_ref       TEXT NOT NULL CHECK (length(control_ref) BETWEEN 1 AND 14 AND NOT control_ref GLOB '*[^A-Za-z0-9]*'),
            message_type      TEXT NOT NULL CHECK (message_type IN ('caseTransfer', 'documentDelivery', 'receipt')),
            status            TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'accepted', 'rejected')),
            refs              TEXT NOT NULL DEFAULT '',   -- control references this one refers to, space-separated
            payload_sha256    TEXT CHECK (payload_sha256 IS NULL OR (length(payload_sha256) = 64 AND NOT payload_sha256 GLOB '*[^0-9a-f]*')),
            payload_size      INTEGER CHECK (payload_size IS NULL OR payload_size >= 0),
            receipt_xml       TEXT,
            attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            last_error        TEXT,
            created_at        TEXT NOT NULL,
            updated_at        TEXT NOT NULL,
            CHECK (peer_party = CASE direction WHEN 'in' THEN sender_party ELSE recipient_party END),
            CHECK (direction = 'out' OR status IN ('delivered', 'accepted', 'rejected')),
            CHECK ((status IN ('accepted', 'rejected')) = (receipt_xml IS NOT NULL) OR message_type = 'receipt'),
            UNIQUE (direction, sender_party, control_ref)
        );
        CREATE INDEX interchanges_peer ON interchanges(peer_party, created_at);

        -- The sender's numbers and the receiver's, as the receipt states them: on the sending side they link our
        -- documents to the partner's registrations, on the receiving side they keep the sender's reference.
        CREATE TABLE interchange_links (
            interchange_id  INTEGER NOT NULL REFERENCES interchanges(id),
            position        INTEGER NOT NULL CHECK (position >= 1),   -- order in the receipt
            sender_number   TEXT NOT NULL,
            receiver_number TEXT NOT NULL,
            PRIMARY KEY (interchange_id, sender_number)
        ) WITHOUT ROWID;
        CREATE INDEX interchange_links_sender ON interchange_links(sender_number);
        CREATE INDEX interchange_links_receiver ON interchange_links(receiver_number);
        """
}

extension Migrations {
    /// The documents each outbound interchange carries, so that disposal knows which content a package waiting in the
    /// outbox still holds; and the withdrawal of an interchange no longer to be delivered (its outbox files removed).
    static let v17InterchangeDocuments = """
        CREATE TABLE interchange_documents (
            interchange_id INTEGER NOT NULL REFERENCES interchanges(id),
            document_id    INTEGER NOT NULL REFERENCES documents(id),
            PRIMARY KEY (interchange_id, document_id)
        ) WITHOUT ROWID;
        CREATE INDEX interchange_documents_document ON interchange_documents(document_id);
        ALTER TABLE interchanges ADD COLUMN withdrawn_at TEXT CHECK (withdrawn_at IS NULL OR direction = 'out');
        """

    /// When a server delivers an outbound interchange again by itself. Only one still to be delivered has a time
    /// (`InterchangeRecord.awaitsDelivery`); the partial index keeps the servers' look for due ones to those.
    static let v28InterchangeRedelivery = """
        ALTER TABLE interchanges ADD COLUMN next_attempt_at TEXT CHECK (next_attempt_at IS NULL OR (
            direction = 'out' AND status IN ('queued', 'delivered') AND withdrawn_at IS NULL
            AND next_attempt_at GLOB '????-??-??T??:??:??.???Z'));
        CREATE INDEX interchanges_next_attempt ON interchanges(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
        -- Those still waiting that were queued in the last week are due at once, as if tried by a server all along;
        -- older ones stay with a person (`exchange resend` or `withdraw`).
        UPDATE interchanges SET next_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE direction = 'out' AND status IN ('queued', 'delivered') AND withdrawn_at IS NULL
            AND created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days');
        """
}

-- Accounts, login claims (unique user name, phone, openid), refresh-token families and tokens, invitations and
-- SMS codes (owner: accounts): versioned JSON documents by (kind, key), with one optional index value per kind.
CREATE TABLE IF NOT EXISTS account_doc (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    ix TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS account_doc_by_index ON account_doc (kind, ix) WHERE ix IS NOT NULL;

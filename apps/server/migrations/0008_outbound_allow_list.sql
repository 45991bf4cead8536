-- Outbound allow-list: destinations that calls the server makes for agents (the http adapter) may
-- reach although they are loopback, private, link-local or otherwise not public; the outbound guard
-- refuses those by default. Entries are exact host[:port], address[:port] or CIDR, validated by the
-- API. One row for the whole instance (id = 1); only the board edits it. The operator's
-- STAPLE_OUTBOUND_ALLOW adds to it and is not stored.
CREATE TABLE instance_outbound_settings (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  allow_entries text[] NOT NULL DEFAULT '{}' CHECK (cardinality(allow_entries) <= 200),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);
